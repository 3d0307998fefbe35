"""Browser tests: Debian's Chromium driven by Playwright (sync API) against pytest-django's live_server.

Every test here is marked `e2e` and runs on the transactional database (live_server's thread
really commits). A test fails when the page logs a console error, throws an uncaught error, or
asks for anything from a host other than the live server: the portal makes no external request.
"""

import importlib
import os
from pathlib import Path
import warnings

import pytest

from tests.e2e.helpers import DESKTOP, PHONE, open_page

CHROMIUM = Path("/usr/bin/chromium")
MISSING = "!!! /usr/bin/chromium missing: browser tests SKIPPED — run `make chromium` !!!"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="package")
def browser():
    """Chromium for the tests of this directory.

    Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM calls
    there unless DJANGO_ALLOW_ASYNC_UNSAFE is set. It is set only while the browser is open (package
    scope): left in os.environ it would leak into the subprocesses other tests start, and
    `manage.py check --deploy` rightly fails on it (async.E001).
    """
    if not CHROMIUM.exists():
        warnings.warn(MISSING, stacklevel=1)
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(autouse=True)
def _consent_document(transactional_db):
    """The consent comes from a data migration, which a flush between transactional tests erases."""
    from django.apps import apps

    importlib.import_module("kabinet.identity.migrations.0002_consent_v1").create(apps, None)


@pytest.fixture
def public_url(settings, live_server):
    """Links in e-mails point at the live server."""
    settings.KABINET_PUBLIC_URL = live_server.url
    return live_server.url


@pytest.fixture(params=[pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")])
def any_page(request, browser, live_server, public_url):
    """A page on both viewports: the phone and the desktop."""
    context, page = open_page(browser, live_server, request.param)
    yield page
    context.close()


@pytest.fixture
def page(browser, live_server, public_url):
    """A page on the phone viewport (360×740, touch), where the main flows run."""
    context, page = open_page(browser, live_server, PHONE)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser, live_server, public_url):
    """A page on the desktop viewport, where the back office is used; checked like `page`."""
    context, page = open_page(browser, live_server, DESKTOP)
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    for name in ("page", "any_page", "desktop_page"):
        page = getattr(item, "funcargs", {}).get(name)
        if page is not None and (problems := page.watch.report()):
            pytest.fail("the page misbehaved:\n" + "\n".join(problems), pytrace=False)
    return result
