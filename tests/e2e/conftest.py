"""Browser tests: Debian's Chromium driven by Playwright (sync API) against pytest-django's live_server.

Every test here is marked `e2e` and runs on the transactional database (live_server's thread
really commits). A test fails when the page logs a console error, throws an uncaught error, or
asks for anything from a host other than the live server: the portal makes no external request.
"""

import importlib
import os
from pathlib import Path
import re
from urllib.parse import urlsplit
import warnings

import pytest

from tests.conftest import PASSWORD

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
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
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


FAILED_DOCUMENT = "Failed to load resource: the server responded with a status of"


class Watch:
    """What the page did wrong: console errors, uncaught errors, failed subresources, requests to
    other hosts. A page answered with 4xx (a form with errors is a 400) is the app's choice, not a
    fault: Chromium's console line for it is ignored, and only for that document."""

    def __init__(self):
        self.problems: list[str] = []
        self.console_errors: list[tuple[str, str]] = []
        self.failed_documents: set[str] = set()

    def on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append((message.text, message.location.get("url", "")))

    def on_response(self, response) -> None:
        if response.status >= 400:
            if response.request.resource_type == "document":
                self.failed_documents.add(response.url)
            else:
                self.problems.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def report(self) -> list[str]:
        console = [
            f"console error: {text} ({url})"
            for text, url in self.console_errors
            if not (text.startswith(FAILED_DOCUMENT) and url in self.failed_documents)
        ]
        return self.problems + console


def _open_page(browser, live_server, device: dict, **options):
    host = urlsplit(live_server.url).netloc
    watch = Watch()
    context = browser.new_context(
        locale="ru-RU", timezone_id="Asia/Yekaterinburg", base_url=live_server.url, **device, **options
    )

    def guard(route):
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https", "ws", "wss"} and urlsplit(url).netloc != host:
            watch.problems.append(f"external request: {url}")
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(5000)
    page.on("console", watch.on_console)
    page.on("response", watch.on_response)
    page.on("pageerror", lambda error: watch.problems.append(f"page error: {error}"))
    page.watch = watch
    return context, page


@pytest.fixture(params=[pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")])
def any_page(request, browser, live_server, public_url):
    """A page on both viewports: the phone and the desktop."""
    context, page = _open_page(browser, live_server, request.param)
    yield page
    context.close()


@pytest.fixture
def page(browser, live_server, public_url):
    """A page on the phone viewport (360×740, touch), where the main flows run."""
    context, page = _open_page(browser, live_server, PHONE)
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    for name in ("page", "any_page"):
        page = getattr(item, "funcargs", {}).get(name)
        if page is not None and (problems := page.watch.report()):
            pytest.fail("the page misbehaved:\n" + "\n".join(problems), pytrace=False)
    return result


# --- Helpers the tests share ----------------------------------------------------------------


def wait_ready(page) -> None:
    """Wait until the current document's script has bound its handlers (kabinet.js marks
    <html data-ready> last). Call it after the new page is known to be there (its URL or a
    heading), so the mark is the new document's and not the one being left."""
    page.locator("html[data-ready]").wait_for(state="attached")


def goto(page, path: str) -> None:
    """Open a page and wait for its script, as a person waits for a page to finish loading."""
    page.goto(path)
    wait_ready(page)


def log_in(page, identifier: str, password: str = PASSWORD) -> None:
    """Log in through the form and wait until the page it leads to is ready."""
    goto(page, "/login/")
    page.get_by_label("Номер лицевого счета, телефон или e-mail").fill(identifier)
    page.get_by_label("Пароль").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Войти").click()
    wait_ready(page)


def link_path(body: str) -> str:
    """The path of the first link in an e-mail body."""
    return urlsplit(re.search(r"https?://\S+", body).group(0)).path


def assert_fits_the_screen(page) -> None:
    """Nothing on the page needs sideways scrolling: a phone shows all of it."""
    page.wait_for_load_state("load")  # the stylesheet, not only the DOM
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.checkVisibility())"
        ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
        ".filter(e => !e.closest('.visually-hidden, thead, .main-nav, .tabs'))"
        ".map(e => `${e.tagName}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}: `"
        " + e.textContent.trim().slice(0, 40))"
    )
    assert not overflow, overflow
