"""A customer's passkeys (issue 16): added in «Профиль», asked for after the password as a code
is, counted and audited like codes, removed with a code or the password. The browser's part is
played by tests.factories.SoftPasskey (the browser tests use Chromium's virtual authenticator)."""

import re

from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential
import pytest

from kabinet.core.models import AuditEvent
from kabinet.identity import second_factor
from tests.factories import (
    PASSWORD,
    SoftPasskey,
    give_second_factor,
    make_customer,
    post_login,
    redirected_to,
    verify_session,
)

SETTINGS = reverse("portal:second_factor_settings")
ADD = reverse("portal:passkey_add")
OPTIONS = reverse("portal:passkey_options")
REMOVE = reverse("portal:passkey_remove")
CODE_PAGE = reverse("portal:second_factor")
SIGN_IN_OPTIONS = reverse("portal:passkey_sign_in_options")
HOME = reverse("portal:home")
Action = AuditEvent.Action


def add_passkey(client, key: SoftPasskey, name: str = "Телефон"):
    options = client.post(OPTIONS).json()
    return client.post(ADD, {"name": name, "credential": key.create(options)})


def passkey_sign_in(client, key: SoftPasskey, **fields):
    options = client.post(SIGN_IN_OPTIONS).json()
    return client.post(CODE_PAGE, {"credential": key.get(options), **fields})


def shown_codes(page: str) -> list[str]:
    return re.findall(r"<li><code>([^<]+)</code></li>", page)


@pytest.fixture
def signed_in(client, customer, sverdlovsk):
    assert redirected_to(post_login(client, "+79120000001", region=sverdlovsk)) == HOME
    return client


@pytest.fixture
def other_customer(sverdlovsk):
    return make_customer("+79120000009")


@pytest.fixture
def with_passkey(signed_in, customer):
    """The customer added a passkey and signed out; their next sign-in owes it."""
    key = SoftPasskey()
    assert add_passkey(signed_in, key).status_code == 200
    signed_in.logout()
    return key


def test_the_first_passkey_turns_the_second_factor_on_with_recovery_codes(signed_in, customer):
    page = signed_in.get(SETTINGS).content.decode()
    assert "Добавить ключ доступа" in page and "data-passkey-missing" in page

    response = add_passkey(signed_in, SoftPasskey(), name="Мой телефон")

    assert response.status_code == 200
    assert len(shown_codes(response.content.decode())) == 10
    assert second_factor.is_on(customer)
    assert [key.name for key in second_factor.passkeys(customer)] == ["Мой телефон"]
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_ON, user=customer, details__method="passkey").exists()
    assert "Мой телефон" in signed_in.get(SETTINGS).content.decode()


def test_a_second_passkey_keeps_the_recovery_codes(signed_in, customer):
    add_passkey(signed_in, SoftPasskey())
    before = second_factor.recovery_codes_left(customer)
    response = add_passkey(signed_in, SoftPasskey(), name="Ноутбук")
    assert redirected_to(response) == SETTINGS
    assert second_factor.passkeys(customer).count() == 2
    assert second_factor.recovery_codes_left(customer) == before


def test_a_passkey_without_a_name_or_a_forged_one_is_not_added(signed_in, customer):
    key = SoftPasskey()
    options = signed_in.post(OPTIONS).json()
    response = signed_in.post(ADD, {"name": "", "credential": key.create(options)})
    assert response.status_code == 400
    assert "Введите название ключа." in response.content.decode()

    options = signed_in.post(OPTIONS).json()
    forged = SoftPasskey(origin="https://evil.example").create(options)
    response = signed_in.post(ADD, {"name": "Телефон", "credential": forged})
    assert response.status_code == 400
    assert "Ключ доступа не добавлен" in response.content.decode()
    assert not WebAuthnCredential.objects.exists()


def test_a_challenge_is_good_for_one_answer(signed_in, customer):
    key = SoftPasskey()
    options = signed_in.post(OPTIONS).json()
    answer = key.create(options)
    assert signed_in.post(ADD, {"name": "Телефон", "credential": answer}).status_code == 200
    assert signed_in.post(ADD, {"name": "Ещё раз", "credential": answer}).status_code == 400
    assert second_factor.passkeys(customer).count() == 1


def test_after_the_password_the_passkey_completes_the_sign_in(client, customer, sverdlovsk, with_passkey):
    response = post_login(client, "+79120000001", region=sverdlovsk)
    assert redirected_to(response).startswith(CODE_PAGE)
    page = client.get(CODE_PAGE).content.decode()
    assert "Войти с ключом доступа" in page and "Резервный код" in page
    assert redirected_to(client.get(HOME)).startswith(CODE_PAGE)

    response = passkey_sign_in(client, with_passkey, next="/profile/")

    assert redirected_to(response) == "/profile/"
    assert client.get(HOME).status_code == 200
    used = AuditEvent.objects.filter(action=Action.SECOND_FACTOR_USED, user=customer).get()
    assert used.details["method"] == "passkey"
    assert second_factor.passkeys(customer).get().last_used_at is not None


def test_a_passkey_remembers_the_browser_when_asked(client, customer, sverdlovsk, with_passkey):
    post_login(client, "+79120000001", region=sverdlovsk)
    response = passkey_sign_in(client, with_passkey, remember="on")
    assert second_factor.REMEMBER_COOKIE in response.cookies
    client.post(reverse("portal:logout"))
    assert redirected_to(post_login(client, "+79120000001", region=sverdlovsk)) == HOME


def test_another_users_passkey_or_an_old_challenge_is_refused_and_counted(
    client, customer, sverdlovsk, with_passkey, other_customer
):
    other = Client()
    assert redirected_to(post_login(other, "+79120000009", region=sverdlovsk)) == HOME
    stranger = SoftPasskey()
    assert add_passkey(other, stranger).status_code == 200  # a real key, another user's

    post_login(client, "+79120000001", region=sverdlovsk)
    response = passkey_sign_in(client, stranger)
    assert response.status_code == 400
    assert "Ключ доступа не подошёл" in response.content.decode()
    refused = AuditEvent.objects.get(action=Action.SECOND_FACTOR_FAILED, user=customer)
    assert refused.details == {"method": "passkey", "reason": "CredentialUserMismatch"}

    old = client.post(SIGN_IN_OPTIONS).json()
    client.post(SIGN_IN_OPTIONS)  # a new challenge replaces it
    response = client.post(CODE_PAGE, {"credential": with_passkey.get(old)})
    assert response.status_code == 400
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED, user=customer).count() == 2
    assert redirected_to(client.get(HOME)).startswith(CODE_PAGE)


def test_passkey_failures_lock_like_codes(client, customer, sverdlovsk, with_passkey, settings):
    settings.KABINET_FAILURES_PER_IDENTIFIER = 2
    post_login(client, "+79120000001", region=sverdlovsk)
    statuses = [passkey_sign_in(client, SoftPasskey()).status_code for _ in range(3)]
    assert statuses == [400, 429, 429]
    # Locked: even the right passkey waits, as a right code would.
    assert passkey_sign_in(client, with_passkey).status_code == 429
    assert AuditEvent.objects.filter(action=Action.LOCKED, user=customer, details__scope="second_factor").exists()


def test_removing_a_passkey_asks_for_the_password_and_the_last_one_takes_the_codes(
    client, customer, sverdlovsk, with_passkey
):
    post_login(client, "+79120000001", region=sverdlovsk)
    passkey_sign_in(client, with_passkey)
    key = second_factor.passkeys(customer).get()

    response = client.post(REMOVE, {"remove-passkey": key.pk, "remove-proof": "not-the-password"})
    assert response.status_code == 400
    assert "Неверный код или пароль." in response.content.decode()
    assert second_factor.passkeys(customer).exists()

    response = client.post(REMOVE, {"remove-passkey": key.pk, "remove-proof": PASSWORD})
    assert redirected_to(response) == SETTINGS
    assert not second_factor.is_on(customer)
    assert second_factor.recovery_codes_left(customer) == 0
    off = AuditEvent.objects.filter(action=Action.SECOND_FACTOR_OFF, user=customer).get()
    assert off.details["method"] == "passkey"


def test_a_customer_cannot_remove_anothers_passkey(signed_in, customer):
    other = make_customer("+79120000009")
    key = SoftPasskey()
    device = WebAuthnCredential.objects.create(user=other, name="Чужой", credential_id=key.credential_id)
    response = signed_in.post(REMOVE, {"remove-passkey": device.pk, "remove-proof": PASSWORD})
    assert response.status_code == 400
    assert WebAuthnCredential.objects.filter(pk=device.pk).exists()


def test_with_the_app_on_a_passkey_is_another_way_in(client, customer, sverdlovsk):
    give_second_factor(customer)
    key = SoftPasskey()
    post_login(client, "+79120000001", region=sverdlovsk)
    verify_session(client, customer)
    assert add_passkey(client, key).status_code == 302
    client.logout()
    post_login(client, "+79120000001", region=sverdlovsk)
    page = client.get(CODE_PAGE).content.decode()
    assert "Код из приложения" in page and "Войти с ключом доступа" in page
    assert redirected_to(passkey_sign_in(client, key)) == HOME


def test_the_challenge_is_only_for_a_session_that_owes_the_code(client, customer, sverdlovsk):
    assert client.post(SIGN_IN_OPTIONS).status_code in (302, 403)
    post_login(client, "+79120000001", region=sverdlovsk)  # no second factor: already in
    assert client.post(SIGN_IN_OPTIONS).status_code == 403


def test_a_key_registered_to_someone_else_is_refused_not_an_error(signed_in, customer, other_customer, sverdlovsk):
    """The same credential id twice: a clear refusal, counted and audited, never a 500."""
    key = SoftPasskey()
    assert add_passkey(signed_in, key).status_code == 200
    other = Client()
    assert redirected_to(post_login(other, "+79120000009", region=sverdlovsk)) == HOME
    response = add_passkey(other, key)
    assert response.status_code == 400 and "Ключ доступа не добавлен" in response.content.decode()
    refused = AuditEvent.objects.get(action=Action.SECOND_FACTOR_FAILED, user=other_customer)
    assert refused.details == {"method": "passkey", "step": "register", "reason": "IntegrityError"}


def test_a_refused_registration_is_counted_and_audited(signed_in, customer, settings):
    settings.KABINET_FAILURES_PER_IDENTIFIER = 2
    options = signed_in.post(OPTIONS).json()
    forged = SoftPasskey(origin="https://evil.example").create(options)
    assert signed_in.post(ADD, {"name": "Телефон", "credential": forged}).status_code == 400
    refused = AuditEvent.objects.get(action=Action.SECOND_FACTOR_FAILED, user=customer)
    assert refused.details["method"] == "passkey" and refused.details["reason"] == "InvalidRegistrationResponse"
    response = signed_in.post(ADD, {"name": "Телефон", "credential": forged})
    assert response.status_code == 429 and "Повторите после" in response.content.decode()
    assert AuditEvent.objects.filter(action=Action.LOCKED, user=customer).exists()


def test_a_lowered_sign_count_or_another_rp_id_is_refused(client, customer, sverdlovsk, with_passkey):
    """A cloned key gives itself away by a count that did not go up; a key made for another
    site signs for its RP ID, not ours."""
    post_login(client, "+79120000001", region=sverdlovsk)
    assert redirected_to(passkey_sign_in(client, with_passkey)) == HOME
    client.logout()
    post_login(client, "+79120000001", region=sverdlovsk)
    with_passkey.count -= 1  # the next answer repeats the count the server has seen
    assert passkey_sign_in(client, with_passkey).status_code == 400
    with_passkey.count += 5
    with_passkey.rp_id = "evil.example"
    assert passkey_sign_in(client, with_passkey).status_code == 400
    reasons = AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED).values_list("details__reason", flat=True)
    assert sorted(reasons) == ["InvalidAuthenticationResponse", "InvalidAuthenticationResponse"]


def test_an_old_challenge_is_refused(client, customer, sverdlovsk, with_passkey, settings):
    post_login(client, "+79120000001", region=sverdlovsk)
    options = client.post(SIGN_IN_OPTIONS).json()
    settings.OTP_WEBAUTHN_TIMEOUT_SECONDS = 0  # as if the answer came after the timeout
    response = client.post(CODE_PAGE, {"credential": with_passkey.get(options)})
    assert response.status_code == 400
    refused = AuditEvent.objects.get(action=Action.SECOND_FACTOR_FAILED, user=customer)
    assert refused.details == {"method": "passkey", "reason": "ChallengeExpired"}


def test_an_answer_the_form_refuses_is_counted_too(client, customer, sverdlovsk, with_passkey):
    post_login(client, "+79120000001", region=sverdlovsk)
    client.post(SIGN_IN_OPTIONS)
    response = client.post(CODE_PAGE, {"credential": "x" * 16385})
    assert response.status_code == 400 and "Ключ доступа не подошёл" in response.content.decode()
    refused = AuditEvent.objects.get(action=Action.SECOND_FACTOR_FAILED, user=customer)
    assert refused.details == {"method": "passkey", "reason": "InvalidForm"}


POST_ONLY = [
    "portal:passkey_add",
    "portal:passkey_options",
    "portal:passkey_remove",
    "portal:second_factor_codes",
    "portal:second_factor_off",
    "portal:second_factor_sms_setup",
    "portal:second_factor_sms_confirm",
]


def test_opening_a_form_target_goes_back_to_the_settings_page(signed_in, customer):
    """After «Добавить ключ доступа» shows the codes the address bar keeps the form's target:
    Back, a reload or the address itself lead to the page, not to the browser's «HTTP ERROR 405»."""
    add_passkey(signed_in, SoftPasskey())
    for name in POST_ONLY:
        assert redirected_to(signed_in.get(reverse(name))) == SETTINGS, name


def test_on_the_code_page_its_targets_go_back_to_it(client, customer, sverdlovsk, with_passkey):
    post_login(client, "+79120000001", region=sverdlovsk)
    for name in ("portal:second_factor_sms", "portal:passkey_sign_in_options"):
        assert redirected_to(client.get(reverse(name))) == CODE_PAGE, name


def test_the_pages_speak_of_passkeys_too_and_offer_to_copy_and_print_the_codes(signed_in, customer):
    page = add_passkey(signed_in, SoftPasskey()).content.decode()
    assert "<h1>Второй шаг входа</h1>" in page
    assert "спросит шестизначный" not in page and "Вход с кодом подтверждения" not in page
    assert "если ключа доступа или телефона не будет под рукой" in page
    actions = re.search(r"<div class=\"actions no-print\" data-js-only hidden>(.*?)</div>", page, re.S).group(1)
    assert "Скопировать коды" in actions and "Распечатать" in actions  # hidden until the script runs
    page = signed_in.get(SETTINGS).content.decode()
    assert "подтвердить вход ключом доступа" in page and "спросит шестизначный" not in page


def test_the_code_page_has_no_menus_and_the_passkey_is_the_main_way(client, customer, sverdlovsk, with_passkey):
    """Before the second step every menu item led back to it; the name in the header too."""
    post_login(client, "+79120000001", region=sverdlovsk)
    page = client.get(CODE_PAGE).content.decode()
    assert 'aria-label="Разделы кабинета"' not in page and "user-menu" not in page
    assert "Анна Иванова" not in page and "Выйти" in page
    assert re.search(r'class="button button-primary" data-passkey-sign-in=', page)
    assert '<button type="submit" class="button">Подтвердить</button>' in page
