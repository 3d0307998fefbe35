"""Sign-in through the API: the customers' login rules (identifiers, region, limits, lockouts,
audit), then token rotation, reuse detection, sign-out and revocation by a new password."""

from datetime import timedelta
import json

from django.urls import reverse
import pytest

from kabinet.core.models import AuditEvent
from kabinet.identity import profile, recovery
from kabinet.identity.models import ApiSession
from tests.factories import PASSWORD, api_token, bearer, make_account, make_customer, make_staff, post_login

TOKEN, REFRESH, LOGOUT, PROFILE = "/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/profile"


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


def sign_in(client, identifier="+79120000001", password=PASSWORD, **extra):
    return post(client, TOKEN, {"identifier": identifier, "password": password, **extra})


def detail(response) -> str:
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["detail"]


def test_sign_in_by_phone_gives_tokens_that_open_the_api(client, customer):
    response = sign_in(client, " +7 912 000-00-01 ")  # parsed as the login page parses it
    assert response.status_code == 200 and response["Cache-Control"] == "no-store, private"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    assert body["access_token"].startswith("kba_") and body["refresh_token"].startswith("kbr_")
    assert client.get(PROFILE, headers=bearer(body["access_token"])).status_code == 200
    event = AuditEvent.objects.filter(action="login", user=customer).get()
    assert event.details == {"door": "api"}


def test_sign_in_by_account_number_in_its_region(client, customer, account, sverdlovsk, perm):
    assert sign_in(client, account.number, region="66").status_code == 200
    assert sign_in(client, account.number).status_code == 200  # the default region
    in_perm = sign_in(client, account.number, region="59")
    assert in_perm.status_code == 400


@pytest.mark.parametrize("code", ["99", "6\x006"])  # NUL: no region has it (Schemathesis found a 500)
def test_an_unknown_region_is_a_field_error(client, customer, code):
    response = sign_in(client, region=code)
    assert response.status_code == 422 and response.json()["errors"] == {"region": ["Нет такого региона."]}


def test_a_wrong_password_says_what_the_login_page_says(client, customer):
    response = sign_in(client, password="wrong-password")
    assert response.status_code == 400
    assert detail(response).startswith("Неверный логин или пароль.")
    assert AuditEvent.objects.filter(action="login_failed", identifier="+79120000001").exists()


def test_failures_lock_the_api_and_the_login_page_alike(client, customer, settings, sverdlovsk):
    settings.KABINET_FAILURES_PER_IDENTIFIER = 3
    for _ in range(2):
        assert sign_in(client, password="wrong-password").status_code == 400
    locked = sign_in(client, password="wrong-password")
    assert locked.status_code == 429 and 0 < int(locked["Retry-After"]) <= 901
    assert "Повторите после" in detail(locked)
    assert sign_in(client).status_code == 429  # the right password too, until the lock ends
    assert post_login(client, "+79120000001", region=sverdlovsk).status_code == 429  # the same person's lock


def test_employees_cannot_sign_in_here(client, sverdlovsk):
    staff = make_staff("operator@example.ru", "operator", sverdlovsk)
    response = sign_in(client, "operator@example.ru")
    assert response.status_code == 400 and detail(response).startswith("Неверный логин")
    assert not ApiSession.objects.filter(user=staff.user).exists()


def test_a_closed_account_is_not_served(client, sverdlovsk):
    closed = make_account(sverdlovsk, "660100000077", flat="7", status="closed")
    make_customer("+79120000007", closed)
    response = sign_in(client, closed.number)
    assert response.status_code == 403 and "Абонент не обслуживается" in detail(response)


def test_an_access_token_expires(client, customer, settings):
    settings.KABINET_API_ACCESS_TTL = timedelta(seconds=0)
    access = sign_in(client).json()["access_token"]
    assert client.get(PROFILE, headers=bearer(access)).status_code == 401


def test_refresh_rotates_and_a_spent_refresh_token_revokes_its_family(client, customer):
    first = sign_in(client).json()
    second = post(client, REFRESH, {"refresh_token": first["refresh_token"]})
    assert second.status_code == 200 and second["Cache-Control"] == "no-store, private"
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert client.get(PROFILE, headers=bearer(second["access_token"])).status_code == 200

    # The spent token comes back: someone else holds it. Everything of the sign-in ends.
    reused = post(client, REFRESH, {"refresh_token": first["refresh_token"]})
    assert reused.status_code == 400 and "войдите заново" in detail(reused)
    assert client.get(PROFILE, headers=bearer(second["access_token"])).status_code == 401
    assert post(client, REFRESH, {"refresh_token": second["refresh_token"]}).status_code == 400
    assert ApiSession.objects.get().revoked_reason == "reuse"


def test_another_sign_in_survives_a_reuse(client, customer):
    stolen = sign_in(client).json()
    phone = sign_in(client).json()
    post(client, REFRESH, {"refresh_token": stolen["refresh_token"]})
    post(client, REFRESH, {"refresh_token": stolen["refresh_token"]})
    assert client.get(PROFILE, headers=bearer(phone["access_token"])).status_code == 200


def test_an_expired_or_unknown_refresh_token_is_refused(client, customer, settings):
    assert post(client, REFRESH, {"refresh_token": "kbr_nonsense"}).status_code == 400
    settings.KABINET_API_REFRESH_TTL = timedelta(seconds=0)
    assert post(client, REFRESH, {"refresh_token": sign_in(client).json()["refresh_token"]}).status_code == 400


def test_sign_out_revokes_the_sign_in(client, customer):
    tokens = sign_in(client).json()
    assert client.post(LOGOUT, headers=bearer(tokens["access_token"])).status_code == 204
    assert client.get(PROFILE, headers=bearer(tokens["access_token"])).status_code == 401
    assert post(client, REFRESH, {"refresh_token": tokens["refresh_token"]}).status_code == 400
    assert AuditEvent.objects.filter(action="logout", user=customer).exists()


def test_sign_out_needs_a_token(client, customer):
    assert client.post(LOGOUT).status_code == 401


def test_a_password_change_revokes_every_token(client, customer):
    tokens = sign_in(client).json()
    personal = api_token(customer)
    profile.change_password(customer, PASSWORD, "New-password-2026", "127.0.0.1")
    assert client.get(PROFILE, headers=bearer(tokens["access_token"])).status_code == 401
    assert client.get(PROFILE, headers=bearer(personal)).status_code == 401
    assert post(client, REFRESH, {"refresh_token": tokens["refresh_token"]}).status_code == 400


def test_a_password_reset_revokes_every_token(client, customer):
    personal = api_token(customer)
    recovery.set_new_password(customer, "New-password-2026", "127.0.0.1", channel="sms")
    assert client.get(PROFILE, headers=bearer(personal)).status_code == 401


def test_a_login_that_upgrades_an_old_hash_revokes_nothing(client, customer, sverdlovsk, settings):
    personal = api_token(customer)
    old_hash = customer.password
    settings.ARGON2_TIME_COST += 1  # the stored hash is now outdated: the login re-hashes it
    post_login(client, "+79120000001", region=sverdlovsk)
    customer.refresh_from_db()
    assert customer.password != old_hash
    assert client.get(PROFILE, headers=bearer(personal)).status_code == 200


def test_the_profile_page_login_still_works(client, customer, sverdlovsk):
    """The customers' login is shared, not copied: the page still signs in."""
    assert post_login(client, "+79120000001", region=sverdlovsk)["Location"] == reverse("portal:home")


@pytest.mark.django_db
def test_the_token_endpoint_needs_no_csrf_token(customer):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert sign_in(strict).status_code == 200


def test_a_nul_in_the_identifier_is_refused_not_a_server_error(client, customer):
    """Found by Schemathesis: PostgreSQL cannot hold NUL, so the registry's lookup raised."""
    body = {"identifier": "6601\x0000001", "password": PASSWORD}
    response = client.post(TOKEN, json.dumps(body), content_type="application/json")
    assert response.status_code == 422 and "identifier" in response.json()["errors"]
