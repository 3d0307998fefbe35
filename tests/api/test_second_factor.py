"""The API's sign-in asks for the second factor when it is on (issue 16): 401 with the type
`urn:kabinet:problem:mfa_required` and an `mfa_token`, then the code completes it."""

import json
import time

from django.db import transaction
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
import pyotp
import pytest

from kabinet.core.models import AuditEvent
from kabinet.identity import second_factor
from kabinet.identity.models import SmsDevice
from tests.factories import PASSWORD, TOTP_SECRET, bearer, give_second_factor, in_threads, recovery_code

TOKEN, STEP, PROFILE = "/api/v1/auth/token", "/api/v1/auth/token/second-factor", "/api/v1/profile"


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def challenge(client) -> str:
    response = post(client, TOKEN, {"identifier": "+79120000001", "password": PASSWORD})
    assert response.status_code == 401 and response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:kabinet:problem:mfa_required" and "access_token" not in body
    return body["mfa_token"]


def test_without_a_second_factor_the_sign_in_is_one_call(client, customer):
    assert post(client, TOKEN, {"identifier": "+79120000001", "password": PASSWORD}).status_code == 200


def test_the_code_completes_the_sign_in(client, customer):
    give_second_factor(customer)
    token = challenge(client)
    response = post(client, STEP, {"mfa_token": token, "code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response.status_code == 200
    assert client.get(PROFILE, headers=bearer(response.json()["access_token"])).status_code == 200
    used = AuditEvent.objects.get(action=AuditEvent.Action.SECOND_FACTOR_USED, user=customer)
    assert used.details["site"] == "api"


def test_a_wrong_or_replayed_code_gives_no_tokens(client, customer):
    give_second_factor(customer)
    token = challenge(client)
    response = post(client, STEP, {"mfa_token": token, "code": "000000"})
    assert response.status_code == 400 and "code" in response.json()["errors"]
    code = pyotp.TOTP(TOTP_SECRET).at(time.time())
    assert post(client, STEP, {"mfa_token": token, "code": code}).status_code == 200
    assert post(client, STEP, {"mfa_token": challenge(client), "code": code}).status_code == 400


def test_a_recovery_code_works_once(client, customer):
    code = recovery_code(customer)
    assert post(client, STEP, {"mfa_token": challenge(client), "code": code}).status_code == 200
    assert post(client, STEP, {"mfa_token": challenge(client), "code": code}).status_code == 400


def test_codes_are_counted_and_lock(client, customer, settings):
    settings.KABINET_FAILURES_PER_IDENTIFIER = 2
    give_second_factor(customer)
    token = challenge(client)
    post(client, STEP, {"mfa_token": token, "code": "000000"})
    response = post(client, STEP, {"mfa_token": token, "code": "000000"})
    assert response.status_code == 429 and "Retry-After" in response


def test_a_forged_expired_or_outdated_mfa_token_is_refused(client, customer):
    give_second_factor(customer)
    code = pyotp.TOTP(TOTP_SECRET).now()
    assert post(client, STEP, {"mfa_token": "forged", "code": code}).status_code == 400
    token = challenge(client)
    customer.set_password("Another-password-2026")
    customer.save()
    response = post(client, STEP, {"mfa_token": token, "code": code})
    assert response.status_code == 400 and "mfa_token" in response.json()["errors"]
    assert second_factor.api_challenge_user(token) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["app", "recovery"])
def test_two_requests_at_once_use_a_code_once(customer, kind):
    """The same code sent twice at once: one sign-in, not two (the device row is locked)."""
    give_second_factor(customer)
    code = pyotp.TOTP(TOTP_SECRET).now() if kind == "app" else recovery_code(customer)
    tokens = [challenge(Client()) for _ in range(4)]

    results = in_threads(4, lambda i: post(Client(), STEP, {"mfa_token": tokens[i], "code": code}).status_code)

    assert sorted(results) == [200, 400, 400, 400], results


SMS = "/api/v1/auth/token/second-factor/sms"


def sms_customer(customer) -> None:
    SmsDevice.objects.create(user=customer, name="SMS", confirmed=True)
    recovery_code(customer)
    TOTPDevice.objects.filter(user=customer).delete()  # recovery_code sets the app up too


def test_the_problem_names_the_methods(client, customer):
    give_second_factor(customer)
    body = post(client, TOKEN, {"identifier": "+79120000001", "password": PASSWORD}).json()
    assert body["methods"] == ["totp"] and "приложени" in body["detail"]
    sms_customer(customer)
    body = post(client, TOKEN, {"identifier": "+79120000001", "password": PASSWORD}).json()
    assert body["methods"] == ["sms", "recovery_code"]
    detail = body["detail"]
    assert "SMS" in detail and "приложени" not in detail and SMS.removeprefix("/api/v1") in detail


def test_an_sms_customer_asks_for_a_code_and_signs_in_with_it(client, customer, outbox):
    sms_customer(customer)
    token = challenge(client)
    response = post(client, SMS, {"mfa_token": token})
    assert response.status_code == 204
    code = outbox.last_code("+79120000001")
    assert post(client, STEP, {"mfa_token": token, "code": code}).status_code == 200
    sent = AuditEvent.objects.get(action=AuditEvent.Action.CODE_SENT, user=customer)
    assert sent.details["purpose"] == "second_factor"


def test_an_sms_code_is_limited_and_only_for_sms_customers(client, customer, outbox):
    give_second_factor(customer)
    response = post(client, SMS, {"mfa_token": challenge(client)})
    assert response.status_code == 400 and "SMS" in response.json()["detail"]
    assert post(client, SMS, {"mfa_token": "forged"}).status_code == 400
    sms_customer(customer)
    token = challenge(client)
    assert post(client, SMS, {"mfa_token": token}).status_code == 204
    response = post(client, SMS, {"mfa_token": token})  # again at once: the phone's resend wait
    assert response.status_code == 429 and "Retry-After" in response


def test_a_passkey_is_asked_for_but_not_taken_over_the_api(client, customer):
    """A passkey's answer is bound to the site's origin: the API offers what it can take."""
    WebAuthnCredential.objects.create(user=customer, name="Телефон", credential_id=b"passkey")
    with transaction.atomic():
        code = second_factor.issue_recovery_codes(customer)[0]
    response = post(client, TOKEN, {"identifier": "+79120000001", "password": PASSWORD})
    assert response.status_code == 401 and response.json()["methods"] == ["recovery_code"]
    response = post(client, STEP, {"mfa_token": response.json()["mfa_token"], "code": code})
    assert response.status_code == 200
