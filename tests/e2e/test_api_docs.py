"""The API's interactive docs (Swagger UI) open from Kabinet's own static files: nothing from
another host (the page guard fails the test on any), no console error (CSP included)."""

from playwright.sync_api import expect

from tests.e2e.helpers import DESKTOP, open_page


def test_the_api_docs_open_without_a_cdn(browser, live_server):
    context, page = open_page(browser, live_server, DESKTOP)
    try:
        page.goto("/api/v1/docs")
        expect(page.get_by_role("heading", name="Kabinet API")).to_be_visible()
        expect(page.get_by_text("/api/v1/auth/token", exact=True)).to_be_visible()
        assert page.watch.report() == []
    finally:
        context.close()
