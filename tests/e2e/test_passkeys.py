"""Passkeys in a browser (issue 16), with Chromium's virtual authenticator (DevTools protocol,
WebAuthn domain) standing in for a phone's: a customer adds one in «Профиль» and signs in with
the password and «Войти с ключом доступа»; an employee does the same at the back office.
WebAuthn needs a domain: the live server is http://localhost:PORT, a secure context."""

from urllib.parse import urlsplit

from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.identity import second_factor, setup_grants
from kabinet.identity.models import User
from tests.e2e.helpers import goto, log_in, staff_password, wait_ready
from tests.factories import give_second_factor, make_staff


@pytest.fixture(autouse=True)
def passkey_origin(settings, live_server):
    assert urlsplit(live_server.url).hostname == "localhost", "WebAuthn refuses an IP address"
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]


def virtual_authenticator(page) -> None:
    """A platform authenticator that holds passkeys and verifies its user without asking."""
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    session.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def add_passkey(page, name: str) -> None:
    expect(page.get_by_role("heading", name="Ключи доступа")).to_be_visible()
    page.get_by_label("Название ключа").fill(name)
    page.get_by_role("button", name="Добавить ключ доступа").click()
    expect(page.get_by_role("list", name="Резервные коды").get_by_role("listitem")).to_have_count(10)
    expect(page.get_by_role("row", name=name)).to_be_visible()


def test_a_customer_adds_a_passkey_and_signs_in_with_it(page, customer):
    virtual_authenticator(page)
    log_in(page, "+79120000001")
    goto(page, "/profile/second-factor/")
    expect(page.get_by_text("Этот браузер не умеет работать с ключами доступа")).to_be_hidden()
    add_passkey(page, "Телефон")
    assert second_factor.passkeys(customer).get().name == "Телефон"

    page.get_by_text("Анна Иванова").click()
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url("/login/")
    log_in(page, "+79120000001")
    expect(page.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    page.get_by_role("button", name="Войти с ключом доступа").click()
    expect(page).to_have_url("/home/")
    assert second_factor.passkeys(customer).get().last_used_at is not None


def test_an_employee_adds_a_passkey_at_the_setup_and_signs_in_with_it(desktop_page, sverdlovsk):
    page = desktop_page
    virtual_authenticator(page)
    make_staff("supervisor@example.ru", StaffRole.Role.SUPERVISOR, sverdlovsk, first_name="Ольга")
    staff_password(page, "supervisor@example.ru")
    add_passkey(page, "Рабочий ноутбук")
    page.get_by_role("link", name="Продолжить").click()
    expect(page.get_by_role("heading", name="Очередь обращений")).to_be_visible()

    wait_ready(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Выйти").click()
    staff_password(page, "supervisor@example.ru")
    expect(page.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    page.get_by_role("button", name="Войти с ключом доступа").click()
    expect(page.get_by_role("heading", name="Очередь обращений")).to_be_visible()


def test_after_a_deleted_app_the_administrators_code_lets_a_passkey_in(desktop_page, sverdlovsk, customer):
    """The employee lost the phone: the administrator deleted the app and issued a setup code."""
    page = desktop_page
    virtual_authenticator(page)
    employee = make_staff("supervisor@example.ru", StaffRole.Role.SUPERVISOR, sverdlovsk, first_name="Ольга").user
    User.objects.filter(pk=customer.pk).update(is_staff=True, is_superuser=True)
    customer.refresh_from_db()
    second_factor.delete_by_admin([give_second_factor(employee)], customer, None)
    code = setup_grants.issue(employee, customer, None)

    staff_password(page, "supervisor@example.ru")
    expect(page.get_by_role("heading", name="Новый второй фактор")).to_be_visible()
    expect(page.get_by_role("button", name="Добавить ключ доступа")).to_have_count(0)
    page.get_by_label("Код от администратора").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Продолжить").click()
    wait_ready(page)
    add_passkey(page, "Новый телефон")
    page.get_by_role("link", name="Продолжить").click()
    expect(page.get_by_role("heading", name="Очередь обращений")).to_be_visible()


def test_a_browser_without_passkeys_sees_the_note_and_no_controls(page, customer):
    """Without WebAuthn (or JavaScript) the form and the button stay hidden: the page's grid and
    flex styles must not show what the script never set up."""
    page.add_init_script("delete window.PublicKeyCredential")
    log_in(page, "+79120000001")
    goto(page, "/profile/second-factor/")
    expect(page.get_by_text("Этот браузер не умеет работать с ключами доступа")).to_be_visible()
    expect(page.get_by_role("button", name="Добавить ключ доступа")).to_be_hidden()
    expect(page.get_by_label("Название ключа")).to_be_hidden()

    WebAuthnCredential.objects.create(user=customer, name="Телефон", credential_id=b"key", confirmed=True)
    page.context.clear_cookies()
    log_in(page, "+79120000001")
    expect(page.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    expect(page.get_by_text("Войти с ключом доступа можно в браузере")).to_be_visible()
    expect(page.get_by_role("button", name="Войти с ключом доступа")).to_be_hidden()


def test_the_servers_refusal_is_shown_and_the_button_works_again(page, customer):
    virtual_authenticator(page)
    WebAuthnCredential.objects.create(user=customer, name="Телефон", credential_id=b"key", confirmed=True)
    log_in(page, "+79120000001")
    expect(page.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    WebAuthnCredential.objects.filter(user=customer).delete()  # gone meanwhile: the server refuses
    button = page.get_by_role("button", name="Войти с ключом доступа")
    button.click()
    expect(page.get_by_role("alert")).to_have_text("Войдите заново.")
    expect(button).to_be_enabled()
    # The 403 is this test's scenario, not a fault: the watch would report its two lines.
    assert len(page.watch.problems) == 1 and "403 for fetch" in page.watch.problems[0]
    page.watch.problems.clear()
    page.watch.console_errors.clear()


def test_at_another_address_the_page_says_where_passkeys_work(page, customer, settings):
    """WebAuthn refuses an answer made elsewhere (http://127.0.0.1 for localhost): no button
    that must fail, but the address where keys work."""
    WebAuthnCredential.objects.create(user=customer, name="Телефон", credential_id=b"key", confirmed=True)
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://lk.example.ru"]
    log_in(page, "+79120000001")
    expect(page.get_by_role("heading", name="Подтверждение входа")).to_be_visible()
    wait_ready(page)
    expect(page.get_by_role("alert")).to_have_text(
        "Ключи доступа работают только по адресу https://lk.example.ru. Откройте личный кабинет по этому адресу."
    )
    expect(page.get_by_role("button", name="Войти с ключом доступа")).to_be_hidden()
    expect(page.get_by_role("button", name="Подтвердить")).to_be_visible()
