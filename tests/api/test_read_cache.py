"""GET /accounts keeps its rendered answer for polling clients (api.read_cache): served again
without the account query, never to another token, never after the token dies, and not after
a write through the ORM that changes it."""

from datetime import date, datetime, timedelta
import hashlib
import json
import time
import uuid

from django.core.cache import cache
from django.core.management.sql import emit_post_migrate_signal
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.utils import timezone
import pytest
import time_machine

from kabinet.api import read_cache
from kabinet.api.routers.accounts import AccountOut
from kabinet.billing.models import Payment, PersonalAccount, Region
from kabinet.core import ratelimit
from kabinet.identity import api_tokens
from kabinet.identity.models import AccountLink, PersonalAccessToken, User
from tests.factories import (
    access_token,
    api_token,
    bearer,
    closed_port,
    make_account,
    make_billed,
    make_customer,
    redis_cache,
)

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
    """A set-based write that tells nobody (here a test's own QuerySet.update; the code's are
    marked in the apps' code, test_set_based_writers) shows only when the kept answer expires,
    SECONDS later."""
    secret = access_token(customer)
    before = client.get(ACCOUNTS, headers=bearer(secret)).json()[0]
    Payment.objects.filter(account=billed).update(amount="1.00")
    assert client.get(ACCOUNTS, headers=bearer(secret)).json()[0] == before  # kept
    # The bound, the entry's expiry: test_answers_are_kept_for_seconds.


def test_answers_are_kept_for_seconds(client, customer, billed, settings, live_redis):
    """In Redis, the kept answer's own expiry is the bound docs/api.md states."""
    settings.CACHES = {"default": {"BACKEND": "kabinet.core.redis_cache.RedisCache",
                                   "LOCATION": f"{live_redis}/13", "KEY_PREFIX": "test-read-cache"}}  # fmt: skip
    cache.clear()
    secret = access_token(customer)
    assert client.get(ACCOUNTS, headers=bearer(secret)).status_code == 200
    key = cache.make_and_validate_key(read_cache.entry_key(api_tokens.authenticate(secret), RequestOf(ACCOUNTS)))
    assert read_cache.LOCAL_SECONDS < cache._cache.get_client(key).ttl(key) <= read_cache.SECONDS
    cache.clear()


def test_a_per_process_cache_keeps_answers_for_seconds_only(client, customer, billed, settings):
    """Without Redis another process's bump (an import's worker) never reaches this one: the
    answer is kept LOCAL_SECONDS, as before the long lifetime."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}}
    secret = access_token(customer)
    before = time.time()
    assert client.get(ACCOUNTS, headers=bearer(secret)).status_code == 200
    key = cache.make_and_validate_key(read_cache.entry_key(api_tokens.authenticate(secret), RequestOf(ACCOUNTS)))
    assert cache._expire_info[key] <= before + read_cache.LOCAL_SECONDS + 1
    cache.clear()


@pytest.mark.parametrize("redis", [False, True])
def test_the_rate_and_the_values_in_one_call(settings, redis, request):
    if redis:
        live = request.getfixturevalue("live_redis")
        settings.CACHES = {"default": {"BACKEND": "kabinet.core.redis_cache.RedisCache",
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


def test_a_write_does_not_fail_for_the_cache(customer, billed, caplog):
    """A payment entered while Redis is away is entered: the bump is logged, not raised."""
    away = {"BACKEND": "kabinet.core.redis_cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0", "OPTIONS": {"socket_connect_timeout": 1}}  # fmt: skip
    with override_settings(CACHES={"default": away}):  # restored before the fixtures clear the cache
        Payment.objects.create(account=billed, paid_on=date(2026, 11, 20), amount="10.00", channel="bank")
    assert Payment.objects.filter(account=billed, amount="10.00").exists()
    assert "not bumped" in caplog.text


def paid(account, amount: str) -> Payment:
    return Payment.objects.create(account=account, paid_on=date(2026, 11, 20), amount=amount, channel="bank")


@pytest.mark.parametrize("redis", [False, True])
def test_a_payment_of_another_user_keeps_this_users_answer(
    client, customer, billed, sverdlovsk, settings, redis, request, django_assert_num_queries
):
    """Versions are per user: payments on other accounts, all day long, leave this one's kept."""
    if redis:
        settings.CACHES = redis_cache(request.getfixturevalue("live_redis"))
    stranger = make_account(sverdlovsk, "660100000077", house="77")
    make_customer("+79120000077", stranger)
    headers = bearer(access_token(customer))
    first = client.get(ACCOUNTS, headers=headers)
    paid(stranger, "77.00")
    with django_assert_num_queries(1):  # the token check: the answer is the kept one
        assert client.get(ACCOUNTS, headers=headers).content == first.content
    paid(billed, "10.00")
    assert client.get(ACCOUNTS, headers=headers).json()[0]["last_payment"]["amount"] == "10.00"


def test_a_write_seen_before_its_commit_is_not_served_after_it(
    client, customer, billed, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """An answer kept at the version of the write's own transaction (here read inside it; in
    production another process reading the rows just before the commit) is stale once the
    transaction commits: the bump at commit makes it so."""
    headers = bearer(access_token(customer))
    client.get(ACCOUNTS, headers=headers)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        paid(billed, "10.00")
        inside = client.get(ACCOUNTS, headers=headers)  # kept at the in-transaction version
        with django_assert_num_queries(1):
            assert client.get(ACCOUNTS, headers=headers).content == inside.content
    with django_assert_num_queries(2):  # the token check and the account list: not the kept one
        client.get(ACCOUNTS, headers=headers)


def test_kept_answers_in_redis_end_to_end(client, customer, billed, settings, live_redis, django_assert_num_queries):
    settings.CACHES = redis_cache(live_redis)
    secret = access_token(customer)
    first = client.get(ACCOUNTS, headers=bearer(secret))
    with django_assert_num_queries(1):
        again = client.get(ACCOUNTS, headers=bearer(secret))
    assert again.content == first.content and again["ETag"] == first["ETag"]
    key = read_cache.entry_key(api_tokens.authenticate(secret), RequestOf(ACCOUNTS))
    assert key.startswith("api:read:1:")
    assert type(cache.get(key)) is tuple  # no class of ours pickled
    paid(billed, "10.00")
    shown = client.get(ACCOUNTS, headers=bearer(secret))
    assert shown.json()[0]["last_payment"]["amount"] == "10.00" and shown["ETag"] != first["ETag"]


@pytest.mark.parametrize("redis", [False, True])
def test_a_version_key_that_was_lost_does_not_start_again_from_one(billed, customer, settings, redis, request):
    """An entry kept at version N must not match a version key evicted and bumped back to N."""
    if redis:
        settings.CACHES = redis_cache(request.getfixturevalue("live_redis"))
    key = read_cache.version_key(customer.pk)
    cache.delete(key)
    start = time.time_ns()
    paid(billed, "10.00")
    assert cache.get(key) >= start


def test_a_cache_that_refuses_the_answer_does_not_fail_the_request(client, customer, billed, live_redis, caplog):
    """Redis refusing the write of the answer (here its ACL, for real) costs a miss, not a 500."""
    import redis as redis_py

    admin = redis_py.Redis.from_url(f"{live_redis}/13")
    user = f"kabinet-test-{uuid.uuid4().hex[:8]}"
    config = redis_cache(live_redis)
    prefix = config["default"]["KEY_PREFIX"]
    # Everything but SET outside the rate counters and the version keys.
    rule = ["on", "nopass", "+@all", "-set", "~*", f"(+set ~{prefix}:1:rl:*)", f"(+set ~{prefix}:1:api:read:1:v:*)"]
    admin.execute_command("ACL", "SETUSER", user, *rule)
    try:
        config["default"]["LOCATION"] = live_redis.replace("redis://", f"redis://{user}:x@") + "/13"
        secret = access_token(customer)
        with override_settings(CACHES=config):
            response = client.get(ACCOUNTS, headers=bearer(secret))
        assert numbers(response) == ["660100000001"]
        assert "answer not kept" in caplog.text
    finally:
        admin.execute_command("ACL", "DELUSER", user)


def test_other_methods_read_no_kept_answer(customer, account):
    principal = api_tokens.authenticate(access_token(customer))
    post = RequestFactory().post(ACCOUNTS)
    assert read_cache.count_and_peek(post, principal) is None
    assert not hasattr(post, "api_read")


def test_a_kept_answer_is_not_served_after_local_midnight(client, customer, billed, django_assert_num_queries):
    """The card's balance and overdue are as of the local date: at midnight the answer changes
    with no write to bump a version."""
    zone = timezone.get_current_timezone()
    with time_machine.travel(datetime(2026, 11, 30, 23, 59, 59, tzinfo=zone), tick=False):
        headers = bearer(access_token(customer))
        client.get(ACCOUNTS, headers=headers)
        with django_assert_num_queries(1):  # kept
            client.get(ACCOUNTS, headers=headers)
    with time_machine.travel(datetime(2026, 12, 1, 0, 0, 1, tzinfo=zone), tick=False):
        with django_assert_num_queries(2):  # the token check and the account list: a new day's answer
            client.get(ACCOUNTS, headers=headers)
        with django_assert_num_queries(1):
            client.get(ACCOUNTS, headers=headers)


def test_a_query_string_does_not_keep_another_answer(client, customer, billed, django_assert_num_queries):
    """GET /accounts takes no parameters: `?x=1`…`?x=600` are the one kept answer, not 600."""
    headers = bearer(access_token(customer))
    first = client.get(ACCOUNTS, headers=headers)
    for n in range(1, 4):
        with django_assert_num_queries(1):
            assert client.get(f"{ACCOUNTS}?x={n}", headers=headers).content == first.content


def test_no_cache_asks_for_a_fresh_answer(client, customer, billed, django_assert_num_queries):
    """What bench/api.py's `uncached` sends: a poll's cost after a change."""
    headers = bearer(access_token(customer))
    client.get(ACCOUNTS, headers=headers)
    with django_assert_num_queries(2):
        client.get(ACCOUNTS, headers={**headers, "Cache-Control": "no-cache"})
    with django_assert_num_queries(1):  # kept again
        client.get(ACCOUNTS, headers=headers)


def test_the_key_changes_with_the_answers_schema(customer):
    """A release that changes the card's fields reads none of the answers kept by the one before."""
    schema = json.dumps(AccountOut.model_json_schema(), sort_keys=True)
    key = read_cache.entry_key(api_tokens.authenticate(access_token(customer)), RequestOf(ACCOUNTS))
    assert hashlib.sha256(schema.encode()).hexdigest()[:12] in key


def test_a_migration_bumps_every_answer(client, customer, billed, django_assert_num_queries):
    """A data migration rewrites rows with SQL: no answer kept before it is served after it."""
    headers = bearer(access_token(customer))
    client.get(ACCOUNTS, headers=headers)
    emit_post_migrate_signal(0, False, "default")
    with django_assert_num_queries(2):
        client.get(ACCOUNTS, headers=headers)


def test_a_lost_version_key_starts_from_redis_clock_not_the_app_servers(billed, customer, settings, live_redis):
    """An app server whose clock is behind (here a day) must not restart a version key at a
    number it may have held: Redis's own clock seeds it."""
    settings.CACHES = redis_cache(live_redis)
    key = read_cache.version_key(customer.pk)
    cache.delete(key)
    seconds, micro = cache._cache.get_client(key).time()
    with time_machine.travel(timezone.now() - timedelta(days=1)):
        paid(billed, "10.00")
    assert cache.get(key) >= (seconds * 1_000_000 + micro) * 1000


def test_a_link_given_to_another_user_leaves_the_old_users_answer(client, customer, billed):
    """A link's user changed (the shell, /admin/): the old user's kept answer no longer shows it."""
    headers = bearer(access_token(customer))
    assert numbers(client.get(ACCOUNTS, headers=headers)) == ["660100000001"]
    link = AccountLink.objects.get(user=customer)
    link.user = make_customer("+79120000078")
    link.save()
    assert numbers(client.get(ACCOUNTS, headers=headers)) == []
