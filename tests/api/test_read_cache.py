"""GET /accounts keeps its rendered answer for polling clients (api.read_cache): served again
without the account query, never to another token, never after the token dies, and not after
a write through the ORM that changes it."""

from datetime import date, timedelta

from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
import pytest

from kabinet.api import read_cache
from kabinet.billing.models import Payment, PersonalAccount, Region
from kabinet.core import ratelimit
from kabinet.identity import api_tokens
from kabinet.identity.models import AccountLink, PersonalAccessToken, User
from tests.factories import access_token, api_token, bearer, closed_port, make_account, make_billed

pytestmark = pytest.mark.django_db
ACCOUNTS = "/api/v1/accounts"


@pytest.fixture
def billed(account):
    make_billed(account)
    return account


class RequestOf:
    """What read_cache.entry_key reads of a request."""

    def __init__(self, path: str):
        self.path = path

    def get_full_path(self) -> str:
        return self.path


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [card["number"] for card in response.json()]


def test_a_second_read_is_the_kept_answer_without_the_account_query(
    client, customer, billed, django_assert_num_queries
):
    headers = bearer(access_token(customer))
    first = client.get(ACCOUNTS, headers=headers)
    with django_assert_num_queries(1):  # the token check: never kept
        again = client.get(ACCOUNTS, headers=headers)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"] and again["Cache-Control"] == "no-store, private"
    with django_assert_num_queries(1):
        assert client.get(ACCOUNTS, headers={**headers, "If-None-Match": first["ETag"]}).status_code == 304


def test_a_dead_token_is_refused_at_once_though_its_answer_is_kept(client, customer, billed):
    personal, session = api_token(customer), access_token(customer)
    for secret in (personal, session):
        assert numbers(client.get(ACCOUNTS, headers=bearer(secret)))
    PersonalAccessToken.objects.filter(user=customer).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(ACCOUNTS, headers=bearer(personal)).status_code == 401
    api_tokens.sign_out(api_tokens.authenticate(session))
    assert client.get(ACCOUNTS, headers=bearer(session)).status_code == 401


@pytest.mark.parametrize("change", [{"is_active": False}, {"is_staff": True}])
def test_a_blocked_user_or_an_employee_is_refused_at_once(client, customer, billed, change):
    secret = api_token(customer)
    assert numbers(client.get(ACCOUNTS, headers=bearer(secret)))
    User.objects.filter(pk=customer.pk).update(**change)  # no signal: the token check sees it
    assert client.get(ACCOUNTS, headers=bearer(secret)).status_code == 401


def test_revoking_a_token_refuses_it_at_once(client, customer, billed):
    secret = api_token(customer)
    assert numbers(client.get(ACCOUNTS, headers=bearer(secret)))
    api_tokens.revoke_personal_token(customer, PersonalAccessToken.objects.get(user=customer).pk)
    assert client.get(ACCOUNTS, headers=bearer(secret)).status_code == 401


def test_each_token_has_its_own_answer(client, customer, billed, sverdlovsk):
    other = make_account(sverdlovsk, "660100000003", house="3")
    AccountLink.objects.create(user=customer, account=other)
    narrow, wide = api_token(customer, other), api_token(customer)
    assert numbers(client.get(ACCOUNTS, headers=bearer(narrow))) == ["660100000003"]
    assert numbers(client.get(ACCOUNTS, headers=bearer(wide))) == ["660100000001", "660100000003"]
    assert numbers(client.get(ACCOUNTS, headers=bearer(narrow))) == ["660100000003"]


def test_linking_and_unlinking_show_on_the_next_read(client, customer, billed, sverdlovsk):
    headers = bearer(access_token(customer))
    assert numbers(client.get(ACCOUNTS, headers=headers)) == ["660100000001"]
    other = make_account(sverdlovsk, "660100000003", house="3")
    link = AccountLink.objects.create(user=customer, account=other)
    assert numbers(client.get(ACCOUNTS, headers=headers)) == ["660100000001", "660100000003"]
    link.delete()
    assert numbers(client.get(ACCOUNTS, headers=headers)) == ["660100000001"]
    AccountLink.objects.filter(user=customer).delete()  # a queryset's delete sends the signals too
    assert numbers(client.get(ACCOUNTS, headers=headers)) == []


def test_orm_writes_to_billing_show_on_the_next_read(client, customer, billed):
    headers = bearer(access_token(customer))
    first = client.get(ACCOUNTS, headers=headers).json()[0]
    Payment.objects.create(account=billed, paid_on=date(2026, 11, 20), amount="10.00", channel="bank")
    card = client.get(ACCOUNTS, headers=headers).json()[0]
    assert card["last_payment"]["amount"] == "10.00" != first["last_payment"]["amount"]

    region = Region.objects.get(pk=billed.region_id)
    region.contact_phone = "8-800-000-00-00"
    region.save()
    assert client.get(ACCOUNTS, headers=headers).json()[0]["region"]["contact_phone"] == "8-800-000-00-00"

    account = PersonalAccount.objects.get(pk=billed.pk)
    account.status = PersonalAccount.Status.CLOSED
    account.save()
    assert client.get(ACCOUNTS, headers=headers).json()[0]["status"] == "closed"

    Payment.objects.filter(account=billed, amount="10.00").get().delete()
    assert client.get(ACCOUNTS, headers=headers).json()[0]["last_payment"] == first["last_payment"]


def test_a_set_based_write_shows_when_the_kept_answer_expires(client, customer, billed):
    """An import's SQL sends no signal: its figures show within read_cache.SECONDS."""
    secret = access_token(customer)
    before = client.get(ACCOUNTS, headers=bearer(secret)).json()[0]
    Payment.objects.filter(account=billed).update(amount="1.00")
    assert client.get(ACCOUNTS, headers=bearer(secret)).json()[0] == before  # kept
    key = read_cache.entry_key(api_tokens.authenticate(secret), RequestOf(ACCOUNTS))
    assert cache.get(key) is not None
    cache.delete(key)  # what SECONDS later does
    assert client.get(ACCOUNTS, headers=bearer(secret)).json()[0]["last_payment"]["amount"] == "1.00"


def test_answers_are_kept_for_seconds(client, customer, billed, settings, live_redis):
    """In Redis, the kept answer's own expiry is the bound docs/api.md states."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"{live_redis}/13", "KEY_PREFIX": "test-read-cache"}}  # fmt: skip
    cache.clear()
    secret = access_token(customer)
    assert client.get(ACCOUNTS, headers=bearer(secret)).status_code == 200
    key = cache.make_and_validate_key(read_cache.entry_key(api_tokens.authenticate(secret), RequestOf(ACCOUNTS)))
    assert 0 < cache._cache.get_client(key).ttl(key) <= read_cache.SECONDS
    cache.clear()


@pytest.mark.parametrize("redis", [False, True])
def test_the_rate_and_the_values_in_one_call(settings, redis, request):
    if redis:
        live = request.getfixturevalue("live_redis")
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": f"{live}/13", "KEY_PREFIX": "test-rate-and-get"}}  # fmt: skip
    cache.clear()
    cache.set("kept", {"a": 1})
    cache.set("version", 7, timeout=None)
    assert ratelimit.over_rate_and_get("t", 2, ["kept", "version", "absent"]) == (
        None,
        {"kept": {"a": 1}, "version": 7},
    )
    assert ratelimit.over_rate_and_get("t", 2, [])[0] is None
    wait, values = ratelimit.over_rate_and_get("t", 2, ["kept"])
    assert 1 <= wait <= 60 and values == {"kept": {"a": 1}}
    assert ratelimit.over_rate("t", 2) is not None  # the same count as over_rate's
    cache.clear()


def test_a_write_does_not_fail_for_the_cache(billed, caplog):
    """A payment entered while Redis is away is entered: the bump is logged, not raised."""
    away = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0", "OPTIONS": {"socket_connect_timeout": 1}}  # fmt: skip
    with override_settings(CACHES={"default": away}):  # restored before the fixtures clear the cache
        Payment.objects.create(account=billed, paid_on=date(2026, 11, 20), amount="10.00", channel="bank")
    assert Payment.objects.filter(account=billed, amount="10.00").exists()
    assert "version api:read:v:billing not bumped" in caplog.text
