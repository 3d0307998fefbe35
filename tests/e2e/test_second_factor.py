"""The second factor in a browser (issue 16): a supervisor sets the app up at the first sign-in
and signs in with its code; a customer turns it on in «Профиль», signs in with a code and has
the browser remembered. Codes come from pyotp and the secret the page shows."""

from io import BytesIO
import re
from urllib.parse import parse_qs, urlsplit

from PIL import Image
from playwright.sync_api import expect
import zxingcpp

from kabinet.appeals.models import StaffRole
from tests.e2e.helpers import enter_second_factor, goto, log_in, staff_password, wait_ready
from tests.factories import PhoneApp, make_staff


def app_from_the_page(page) -> PhoneApp:
    """What a phone app does with the key typed in by hand: the whole key is in sight."""
    box = page.get_by_label("Ключ для ввода вручную")
    secret = box.input_value()
    assert box.evaluate("el => el.scrollWidth <= el.clientWidth"), "the key is cut off in its box"
    # Any key must fit, not just this one: the widest letter in every place of the same groups.
    widest = re.sub(r"\S", "W", secret)
    fits = box.evaluate("(el, key) => { el.value = key; return el.scrollWidth <= el.clientWidth; }", widest)
    assert fits, "a key of wide letters is cut off in its box"
    assert secret_in_the_qr_code(page) == secret.replace(" ", ""), "the QR code and the typed key differ"
    return PhoneApp(secret.replace(" ", ""))


def secret_in_the_qr_code(page) -> str:
    """What a phone's camera reads: the QR code as the browser paints it, decoded."""
    shot = page.get_by_role("img", name="QR-код для приложения-аутентификатора").screenshot()
    codes = zxingcpp.read_barcodes(Image.open(BytesIO(shot)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(codes) == 1, "no QR code is read from the page"
    uri = urlsplit(codes[0].text)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    return parse_qs(uri.query)["secret"][0]


def log_out(page) -> None:
    page.get_by_text("Анна Иванова").click()
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url("/login/")


def test_a_supervisor_sets_the_app_up_and_signs_in_with_it(page, sverdlovsk):
    make_staff("supervisor@example.ru", StaffRole.Role.SUPERVISOR, sverdlovsk, first_name="Ольга")
    staff_password(page, "supervisor@example.ru")
    expect(page.get_by_text("Сотрудники входят с кодом из приложения\u2011аутентификатора")).to_be_visible()
    page.goto("/backoffice/payments/")  # nothing before the setup
    expect(page).to_have_url(re.compile(r"/backoffice/second-factor/"))
    wait_ready(page)
    expect(page.get_by_role("img", name="QR-код для приложения-аутентификатора")).to_be_visible()
    app = app_from_the_page(page)
    page.get_by_label("Код из приложения").fill(app.now())
    page.get_by_role("button", name="Подключить").click()
    expect(page.get_by_role("list", name="Резервные коды").get_by_role("listitem")).to_have_count(10)
    page.get_by_role("link", name="Продолжить").click()
    expect(page.get_by_role("heading", name="Платежи")).to_be_visible()

    wait_ready(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Выйти").click()
    staff_password(page, "supervisor@example.ru")
    expect(page.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    page.get_by_label("Код из приложения").fill("000000")
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный код")
    enter_second_factor(page, app.next())
    expect(page.get_by_role("heading", name="Очередь обращений")).to_be_visible()


def test_a_customer_turns_the_app_on_and_signs_in_with_it(page, customer):
    log_in(page, "+79120000001")
    goto(page, "/profile/")
    page.get_by_role("link", name="Включить второй шаг входа").click()
    expect(page.get_by_role("heading", name="Второй шаг входа", exact=True)).to_be_visible()
    wait_ready(page)
    app = app_from_the_page(page)
    page.get_by_label("Код из приложения").fill(app.now())
    page.get_by_role("button", name="Подключить").click()
    expect(page.get_by_role("list", name="Резервные коды").get_by_role("listitem")).to_have_count(10)
    expect(page.get_by_role("heading", name="Включён")).to_be_visible()

    log_out(page)
    log_in(page, "+79120000001")
    expect(page.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    page.get_by_label("Запомнить этот браузер на 30 дней").check()
    enter_second_factor(page, app.next())
    expect(page).to_have_url("/home/")

    log_out(page)
    log_in(page, "+79120000001")  # the browser is remembered: no code
    expect(page).to_have_url("/home/")
