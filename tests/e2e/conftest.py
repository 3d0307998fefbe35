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

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls there otherwise.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

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


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        warnings.warn(MISSING, stacklevel=1)
        pytest.skip(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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


class Problems(list):
    """What the page did wrong: console errors, uncaught errors, requests to other hosts."""


def _open_page(browser, live_server, device: dict):
    host = urlsplit(live_server.url).netloc
    problems = Problems()
    context = browser.new_context(locale="ru-RU", timezone_id="Asia/Yekaterinburg", base_url=live_server.url, **device)

    def guard(route):
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https", "ws", "wss"} and urlsplit(url).netloc != host:
            problems.append(f"external request: {url}")
            route.abort()
        else:
            route.continue_()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(5000)
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.problems = problems
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
        if page is not None and page.problems:
            pytest.fail("the page misbehaved:\n" + "\n".join(page.problems), pytrace=False)
    return result


# --- Helpers the tests share ----------------------------------------------------------------


def log_in(page, identifier: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("Номер лицевого счета, телефон или e-mail").fill(identifier)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()


def link_path(body: str) -> str:
    """The path of the first link in an e-mail body."""
    return urlsplit(re.search(r"https?://\S+", body).group(0)).path
