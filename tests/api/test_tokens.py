"""Personal access tokens through the API: made and revoked only after a password sign-in,
scoped to the customer's own accounts, the secret shown once and stored hashed."""

import hashlib
import json

from django.utils import timezone

from kabinet.identity.models import PersonalAccessToken
from tests.factories import access_token, api_token, bearer, make_account, make_customer

TOKENS, PROFILE = "/api/v1/tokens", "/api/v1/profile"
LIFETIMES = "Допустимые значения: '30', '90', '365' или 'none'."


def create(client, secret, **data):
    body = {"name": "Home Assistant", "accounts": [], "can_submit_readings": False, "lifetime": "90", **data}
    return client.post(TOKENS, json.dumps(body), content_type="application/json", headers=bearer(secret))


def test_make_use_list_and_revoke_a_token(client, customer, account):
    session = access_token(customer)
    made = create(client, session, accounts=[account.pk], lifetime="30")
    assert made.status_code == 201 and made["Cache-Control"] == "no-store, private"
    body = made.json()
    secret = body["secret"]
    assert secret.startswith("kbp_")
    assert body["token"]["accounts"] == [{"id": account.pk, "number": account.number}]
    assert body["token"]["can_submit_readings"] is False and body["token"]["expired"] is False
    stored = PersonalAccessToken.objects.get()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in stored.token_hash
    assert (stored.expires_at - timezone.now()).days == 29

    assert client.get(PROFILE, headers=bearer(secret)).json()["token"]["kind"] == "personal"
    [listed] = client.get(TOKENS, headers=bearer(session)).json()
    assert listed["name"] == "Home Assistant" and listed["last_used_at"] is not None
    assert "secret" not in listed

    assert client.delete(f"{TOKENS}/{stored.pk}", headers=bearer(session)).status_code == 204
    assert client.get(PROFILE, headers=bearer(secret)).status_code == 401
    assert client.get(TOKENS, headers=bearer(session)).json() == []


def test_a_personal_token_cannot_manage_tokens(client, customer, account):
    secret = api_token(customer)
    assert client.get(TOKENS, headers=bearer(secret)).status_code == 403
    assert create(client, secret, accounts=[account.pk]).status_code == 403


def test_bad_input_is_told_at_its_field(client, customer, account, sverdlovsk):
    session = access_token(customer)
    others = make_account(sverdlovsk, "660100000009", flat="9")
    make_customer("+79120000009", others)
    cases = [
        ({"name": "  ", "accounts": [account.pk]}, {"name": ["Введите название токена."]}),
        ({"accounts": []}, {"accounts": ["Отметьте хотя бы один лицевой счёт."]}),
        ({"accounts": [others.pk]}, {"accounts": ["Можно выбрать только свои лицевые счета."]}),
        (
            {"accounts": [account.pk], "lifetime": "7"},
            {"lifetime": ["Допустимые значения: '30', '90', '365' или 'none'."]},
        ),
    ]
    for data, errors in cases:
        response = create(client, session, **data)
        assert response.status_code == 422, data
        assert response.json()["errors"] == errors
    assert not PersonalAccessToken.objects.exists()


def test_another_customers_token_cannot_be_revoked(client, customer, account, sverdlovsk):
    other = make_customer("+79120000009", make_account(sverdlovsk, "660100000009", flat="9"))
    api_token(other)
    theirs = PersonalAccessToken.objects.get(user=other)
    response = client.delete(f"{TOKENS}/{theirs.pk}", headers=bearer(access_token(customer)))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_an_expired_token_is_refused_and_listed_as_expired(client, customer, account):
    secret = api_token(customer)
    PersonalAccessToken.objects.update(expires_at=timezone.now())
    assert client.get(PROFILE, headers=bearer(secret)).status_code == 401
    [listed] = client.get(TOKENS, headers=bearer(access_token(customer))).json()
    assert listed["expired"] is True


def test_an_unlinked_account_drops_out_of_a_token(client, customer, account):
    secret = api_token(customer)
    customer.account_links.all().delete()
    assert client.get(PROFILE, headers=bearer(secret)).json()["token"]["accounts"] == []
