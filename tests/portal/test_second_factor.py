"""A customer's second factor (issue 16): set up in «Профиль» from the secret shown there
(pyotp computes the codes, as a phone app would), asked after the password, recovery codes
good once, «Запомнить этот браузер», limits and the audit log."""

import html
import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp_webauthn.models import WebAuthnCredential
import pyotp
import pytest

from kabinet.core.models import AuditEvent
from kabinet.identity import second_factor
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    PhoneApp,
    customer_login,
    give_second_factor,
    in_threads,
    post_login,
    recovery_code,
    redirected_to,
    verify_session,
)

SETTINGS = reverse("portal:second_factor_settings")
CODE_PAGE = reverse("portal:second_factor")
HOME = reverse("portal:home")
Action = AuditEvent.Action


def shown_secret(page: str) -> str:
    return html.unescape(re.search(r'id="totp-secret" value="([^"]+)"', page).group(1)).replace(" ", "")


def shown_codes(page: str) -> list[str]:
    return re.findall(r"<li><code>([^<]+)</code></li>", page)


def turn_on(client) -> tuple[PhoneApp, list[str]]:
    """Set the app up through the page, as a customer does; the app and the recovery codes."""
    page = client.get(SETTINGS).content.decode()
    app = PhoneApp(shown_secret(page))
    response = client.post(SETTINGS, {"code": app.now()})
    assert response.status_code == 200
    return app, shown_codes(response.content.decode())


@pytest.fixture
def signed_in(client, customer, sverdlovsk):
    assert redirected_to(post_login(client, "+79120000001", region=sverdlovsk)) == HOME
    return client


def sign_in_again(client, region, **extra):
    client.post(reverse("portal:logout"))
    return post_login(client, "+79120000001", region=region, **extra)


def test_profile_offers_it(signed_in):
    page = signed_in.get(reverse("portal:profile")).content.decode()
    assert "Включить второй шаг входа" in page and SETTINGS in page


def test_setup_shows_the_qr_code_and_the_secret_and_turns_on_with_a_code(signed_in, customer):
    page = signed_in.get(SETTINGS).content.decode()
    assert "<svg" in page and 'for="totp-secret"' in page
    assert shown_secret(signed_in.get(SETTINGS).content.decode()) == shown_secret(page)
    assert not second_factor.is_on(customer)
    _, codes = turn_on(signed_in)
    assert second_factor.is_on(customer)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_ON, user=customer).exists()
    assert signed_in.get(HOME).status_code == 200  # the session that set it up is verified


def test_a_wrong_code_at_setup_turns_nothing_on(signed_in, customer):
    signed_in.get(SETTINGS)
    response = signed_in.post(SETTINGS, {"code": "000000"})
    assert response.status_code == 400 and "Неверный код" in response.content.decode()
    assert not second_factor.is_on(customer)
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED, user=customer).exists()


def test_recovery_codes_are_stored_hashed(signed_in):
    _, codes = turn_on(signed_in)
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10 and not {c.replace("-", "") for c in codes} & stored and not set(codes) & stored


def test_the_code_is_asked_after_the_password(signed_in, customer, sverdlovsk):
    app, _ = turn_on(signed_in)
    response = sign_in_again(signed_in, sverdlovsk)
    assert redirected_to(response) == CODE_PAGE
    assert redirected_to(signed_in.get(HOME)) == f"{CODE_PAGE}?next=%2Fhome%2F"
    assert redirected_to(signed_in.get(reverse("portal:profile"))).startswith(CODE_PAGE)
    page = signed_in.get(CODE_PAGE).content.decode()
    assert 'for="id_code">Код из приложения' in page and "Запомнить этот браузер на 30 дней" in page
    assert redirected_to(signed_in.post(CODE_PAGE, {"code": app.next(), "next": "/home/"})) == HOME
    assert signed_in.get(HOME).status_code == 200
    used = AuditEvent.objects.filter(action=Action.SECOND_FACTOR_USED, user=customer).get()
    assert used.details["method"] == "totp"


def test_a_code_is_good_once(signed_in, sverdlovsk):
    app, _ = turn_on(signed_in)
    sign_in_again(signed_in, sverdlovsk)
    code = app.next()
    assert redirected_to(signed_in.post(CODE_PAGE, {"code": code})) == HOME
    sign_in_again(signed_in, sverdlovsk)
    response = signed_in.post(CODE_PAGE, {"code": code})
    assert response.status_code == 400 and "Неверный код" in response.content.decode()
    assert redirected_to(signed_in.get(HOME)).startswith(CODE_PAGE)


def test_a_recovery_code_works_once(signed_in, customer, sverdlovsk):
    _, codes = turn_on(signed_in)
    sign_in_again(signed_in, sverdlovsk)
    assert redirected_to(signed_in.post(CODE_PAGE, {"code": codes[3].upper()})) == HOME
    assert "Осталось кодов: 9" in signed_in.get(HOME).content.decode()
    assert AuditEvent.objects.filter(action=Action.RECOVERY_CODE_USED, user=customer).get().details["left"] == 9
    sign_in_again(signed_in, sverdlovsk)
    assert signed_in.post(CODE_PAGE, {"code": codes[3]}).status_code == 400
    assert redirected_to(signed_in.post(CODE_PAGE, {"code": codes[4]})) == HOME


def test_new_recovery_codes_replace_the_old(signed_in, sverdlovsk):
    _, old = turn_on(signed_in)
    new = shown_codes(signed_in.post(reverse("portal:second_factor_codes")).content.decode())
    assert len(new) == 10
    sign_in_again(signed_in, sverdlovsk)
    assert signed_in.post(CODE_PAGE, {"code": old[0]}).status_code == 400
    assert redirected_to(signed_in.post(CODE_PAGE, {"code": new[0]})) == HOME


def test_a_remembered_browser_skips_the_code_until_the_password_changes(signed_in, customer, sverdlovsk):
    app, _ = turn_on(signed_in)
    sign_in_again(signed_in, sverdlovsk)
    response = signed_in.post(CODE_PAGE, {"code": app.next(), "remember": "on"})
    cookie = response.cookies[second_factor.REMEMBER_COOKIE]
    assert cookie["max-age"] == 30 * 24 * 3600 and cookie["httponly"]
    assert redirected_to(sign_in_again(signed_in, sverdlovsk)) == HOME
    assert signed_in.get(HOME).status_code == 200
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_USED, details__method="remembered_browser").exists()
    customer.set_password("Another-password-2026")
    customer.save()
    response = sign_in_again(signed_in, sverdlovsk, password="Another-password-2026")
    assert redirected_to(response) == CODE_PAGE


def test_a_remembered_browser_is_one_persons(signed_in, customer, sverdlovsk):
    turn_on(signed_in)
    device = second_factor.app_device(customer)
    token = second_factor.remember_token(customer, device)
    assert second_factor.remembered_device(customer, token) == device
    assert second_factor.remembered_device(customer, token + "x") is None
    other = type(customer).objects.create_user("+79120000077", PASSWORD)
    assert second_factor.remembered_device(other, token) is None


def test_codes_are_counted_like_passwords(signed_in, customer, sverdlovsk, settings):
    settings.KABINET_FAILURES_PER_IDENTIFIER = 3
    app, _ = turn_on(signed_in)
    sign_in_again(signed_in, sverdlovsk)
    for _ in range(2):
        assert signed_in.post(CODE_PAGE, {"code": "000000"}).status_code == 400
    response = signed_in.post(CODE_PAGE, {"code": "000000"})
    assert response.status_code == 429 and "Повторите после" in response.content.decode()
    response = signed_in.post(CODE_PAGE, {"code": app.next()})  # the right code, locked out
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_FAILED, user=customer).count() == 3
    assert AuditEvent.objects.filter(action=Action.LOCKED, user=customer).exists()
    # A new password login does not give the code-guesser fresh attempts.
    sign_in_again(signed_in, sverdlovsk)
    assert signed_in.post(CODE_PAGE, {"code": app.next()}).status_code == 429


def test_turning_it_off_wants_a_code_or_the_password(signed_in, customer, sverdlovsk):
    turn_on(signed_in)
    off = reverse("portal:second_factor_off")
    assert signed_in.post(off, {"proof": "wrong"}).status_code == 400
    assert second_factor.is_on(customer)
    assert redirected_to(signed_in.post(off, {"proof": PASSWORD})) == reverse("portal:profile")
    assert not second_factor.is_on(customer)
    assert AuditEvent.objects.filter(action=Action.SECOND_FACTOR_OFF, user=customer).exists()
    assert redirected_to(sign_in_again(signed_in, sverdlovsk)) == HOME


def test_without_a_session_the_code_page_sends_to_the_login(client, db):
    assert redirected_to(client.get(CODE_PAGE)) == reverse("portal:login")


def test_a_session_from_before_the_doors_is_asked_too(client, customer):
    """Sessions opened before doors were noted stay customers' (identity.doors): once the app
    is on, such a session owes the code like any other."""
    give_second_factor(customer)
    client.force_login(customer)  # no door noted
    assert redirected_to(client.get(HOME)) == f"{CODE_PAGE}?next=%2Fhome%2F"


def test_another_session_is_asked_once_the_app_is_on(client, customer, sverdlovsk):
    other = Client()
    customer_login(other, customer)
    assert other.get(HOME).status_code == 200
    give_second_factor(customer)
    assert redirected_to(other.get(HOME)).startswith(CODE_PAGE)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["app", "recovery"])
def test_two_clicks_at_once_use_a_code_once(customer, sverdlovsk, kind):
    """The same code posted from two tabs at once verifies one session only."""
    give_second_factor(customer)
    code = pyotp.TOTP(TOTP_SECRET).now() if kind == "app" else recovery_code(customer)
    clients = [Client() for _ in range(4)]
    for client in clients:
        assert redirected_to(post_login(client, "+79120000001", region=sverdlovsk)) == CODE_PAGE

    results = in_threads(4, lambda i: clients[i].post(CODE_PAGE, {"code": code}).status_code)

    assert sorted(results) == [302, 400, 400, 400], results


def test_the_settings_page_reads_each_factor_once(signed_in, customer):
    signed_in.get(SETTINGS)  # the pending device is made
    with CaptureQueriesContext(connection) as captured:
        page = signed_in.get(SETTINGS)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    # The user with whether a factor is on; then, in one statement, the app, SMS codes, passkeys,
    # the recovery codes, whether the user is staff (SMS codes are offered to customers only)
    # and the pending device; the session aside (from the database here, from Redis where it is
    # configured).
    statements = [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]
    assert len(statements) == 2, statements
    WebAuthnCredential.objects.create(
        user=customer, name="Ноутбук", credential_id=b"id-1", public_key=b"k", sign_count=0, confirmed=True
    )
    verify_session(signed_in, customer)  # a factor is on now: the session is past its code
    with CaptureQueriesContext(connection) as captured:
        page = signed_in.get(SETTINGS)
    assert "Ноутбук" in page.content.decode()
    # Two more: the device the session was verified with (django-otp's middleware) and the list.
    statements = [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]
    assert len(statements) == 4, statements
