"""What the browser tests share besides fixtures: the two devices, a page that records what went
wrong on it, and the steps many tests take (open a page and wait for its script, log in)."""

import re
from urllib.parse import urlsplit

from django.db.models import Q
from playwright.sync_api import expect

from kabinet.identity.models import User
from kabinet.identity.staff import is_staff_member
from tests.factories import PASSWORD, recovery_code

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


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


def open_page(browser, live_server, device: dict, **options):
    """A new browser context and page for `device`, watched (page.watch) for misbehaviour."""
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


def fill_registration_form(
    page, account_number: str, house: str, phone: str, *, email: str = "", name=("Пётр", "Сидоров")
) -> None:
    """Fill «Регистрация» (already open) as a new customer does and send it."""
    page.get_by_label("Номер лицевого счета").fill(account_number)
    page.get_by_label("Номер дома").fill(house)
    expect(page.get_by_label("Регион")).to_have_value(re.compile(r"\d+"))
    page.get_by_label("Телефон").fill(phone)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Имя").fill(name[0])
    page.get_by_label("Фамилия").fill(name[1])
    page.get_by_label(re.compile(r"^Пароль")).fill(PASSWORD)
    page.get_by_label("Повторите пароль").fill(PASSWORD)
    page.get_by_label("Я даю согласие на обработку моих персональных данных").check()
    page.get_by_role("button", name="Отправить").click()


def staff_password(page, identifier: str, password: str = PASSWORD) -> None:
    """The back office's door up to the password: the page it leads to (the code page, for
    staff) ready."""
    goto(page, "/backoffice/login/")
    page.get_by_label("E-mail или телефон").fill(identifier)
    page.get_by_label("Пароль").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Войти").click()
    wait_ready(page)


def staff_log_in(page, identifier: str, password: str = PASSWORD) -> None:
    """Sign in at the back office's own door, second factor included (a fresh recovery code:
    two sign-ins within one TOTP period would replay a code), and wait until the page it leads
    to is ready."""
    user = User.objects.filter(Q(email__iexact=identifier) | Q(phone=identifier)).first()
    code = recovery_code(user) if user and is_staff_member(user) else None  # others are refused
    staff_password(page, identifier, password)
    if code:
        enter_second_factor(page, code)


def enter_second_factor(page, code: str, *, ready: bool = True) -> None:
    """On «Подтверждение входа»: type the code and wait for the page it leads to (`ready`:
    for a page of ours; the admin site's pages carry no data-ready)."""
    expect(page.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    page.get_by_label("Код из приложения").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Подтвердить").click()
    if ready:
        wait_ready(page)


def link_path(body: str) -> str:
    """The path of the first link in an e-mail body."""
    return urlsplit(re.search(r"https?://\S+", body).group(0)).path


def assert_fits_the_screen(page) -> None:
    """Nothing on the page needs sideways scrolling: a phone shows all of it."""
    page.wait_for_load_state("load")  # the stylesheet, not only the DOM
    # A phone lays a too-wide page out wider than its screen and zooms it out, so nothing seems
    # to overflow the (widened) page: its width is checked against the screen's first.
    screen, laid_out = page.viewport_size["width"], page.evaluate("document.documentElement.clientWidth")
    assert laid_out <= screen, f"laid out {laid_out}px wide on a {screen}px screen (zoomed out to fit)"
    overflow = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.checkVisibility())"
        ".filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
        ".filter(e => !e.closest('.visually-hidden, thead, .main-nav, .tabs'))"
        ".map(e => `${e.tagName}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}: `"
        " + e.textContent.trim().slice(0, 40))"
    )
    assert not overflow, overflow
