"""Failure counters and lockout: per identifier and per address, until when, and shared
across processes through Redis."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
import os
import subprocess
import sys
import threading
import uuid

from django.conf import settings
from django.utils import timezone
import pytest

from kabinet.core import ratelimit
from kabinet.core.ratelimit import Limit

KEY = [Limit("test:id:anna", 3)]


def fail(limits: list[Limit]):
    """One guarded check that failed, counted as every caller does: attempt, then failed."""
    return ratelimit.attempt(limits) or ratelimit.failed(limits)


def test_locks_at_the_limit_and_says_until_when():
    assert fail(KEY) is None
    assert fail(KEY) is None
    assert ratelimit.locked_until(KEY) is None
    until = fail(KEY)
    assert until is not None
    assert abs(until - (timezone.now() + settings.KABINET_LOCKOUT)) < timedelta(seconds=2)
    assert abs(ratelimit.locked_until(KEY) - until) < timedelta(milliseconds=1)


def test_reset_forgets_failures():
    fail(KEY)
    fail(KEY)
    ratelimit.reset(KEY)
    assert fail(KEY) is None


def test_keys_are_independent():
    other = [Limit("test:id:boris", 3)]
    for _ in range(3):
        fail(KEY)
    assert ratelimit.locked_until(KEY)
    assert ratelimit.locked_until(other) is None
    assert ratelimit.locked_until(KEY + other) == ratelimit.locked_until(KEY)


def test_lock_expires(settings):
    settings.KABINET_LOCKOUT = timedelta(seconds=1)
    for _ in range(3):
        fail(KEY)
    assert ratelimit.locked_until(KEY)
    from django.core.cache import cache

    # Past the deadline the stored lock no longer counts, even if the cache still holds it.
    cache.set(ratelimit._cache_key("lock", KEY[0].key), timezone.now().timestamp() - 1)
    assert ratelimit.locked_until(KEY) is None


def test_identifier_keys_ignore_case_and_scopes_are_separate(settings):
    assert ratelimit.identifier_limit("login", "Anna@X.ru") == ratelimit.identifier_limit("login", "anna@x.ru")
    assert ratelimit.identifier_limit("login", "x") != ratelimit.identifier_limit("code", "x")
    assert ratelimit.identifier_limit("login", "x").max_failures == settings.KABINET_FAILURES_PER_IDENTIFIER
    assert ratelimit.ip_limit("login", "10.0.0.1").max_failures == settings.KABINET_FAILURES_PER_IP


def test_defaults_are_ten_failures_in_fifteen_minutes_then_fifteen_minutes_locked():
    assert settings.KABINET_FAILURES_PER_IDENTIFIER == 10
    assert settings.KABINET_FAILURE_WINDOW.total_seconds() == 15 * 60
    assert settings.KABINET_LOCKOUT.total_seconds() == 15 * 60


# --- Counted before the check (issue 11, point 4) -----------------------------------------
def test_attempts_are_counted_before_the_check_and_refused_past_the_limit():
    assert ratelimit.attempt(KEY) is None
    assert ratelimit.failed(KEY) is None
    assert ratelimit.attempt(KEY) is None
    assert ratelimit.failed(KEY) is None
    assert ratelimit.attempt(KEY) is None  # the third and last attempt reaches the check
    until = ratelimit.failed(KEY)  # ...and its failure already says until when
    assert until is not None
    assert ratelimit.attempt(KEY) == until == ratelimit.locked_until(KEY)


def test_attempts_past_the_limit_lock_even_before_any_failure_is_known():
    """Four requests counted while the first three are still checking: the fourth is refused."""
    assert [ratelimit.attempt(KEY) for _ in range(3)] == [None, None, None]
    until = ratelimit.attempt(KEY)
    assert until is not None and ratelimit.locked_until(KEY) == until


def test_uncounted_attempts_do_not_use_the_limit():
    for _ in range(10):
        assert ratelimit.attempt(KEY) is None
        ratelimit.uncount(KEY)
    ratelimit.uncount(KEY)  # nothing left to take back: no error, no negative credit
    assert [ratelimit.attempt(KEY) is None for _ in range(4)] == [True, True, True, False]


def test_a_lock_keeps_its_deadline_while_refusing():
    for _ in range(3):
        ratelimit.attempt(KEY)
    until = ratelimit.failed(KEY)
    assert ratelimit.attempt(KEY) == until
    assert ratelimit.failed(KEY) == until


def test_parallel_attempts_pass_exactly_up_to_the_limit():
    """The cache's increment is atomic: 30 threads released at once, exactly 10 may check."""
    limit = [Limit("test:id:race", 10)]
    barrier = threading.Barrier(30)

    def one(_):
        barrier.wait()
        return ratelimit.attempt(limit)

    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(one, range(30)))
    assert results.count(None) == 10


def test_unlock_lifts_a_lock_and_its_count():
    for _ in range(4):
        ratelimit.attempt(KEY)
    ratelimit.unlock(KEY)
    assert ratelimit.locked_until(KEY) is None
    assert ratelimit.attempt(KEY) is None


def test_person_keys_are_per_user_and_scope(settings):
    assert ratelimit.user_limit("login", 7) != ratelimit.user_limit("login", 8)
    assert ratelimit.user_limit("login", 7) != ratelimit.identifier_limit("login", "7")
    assert ratelimit.user_limit("login", 7).max_failures == settings.KABINET_FAILURES_PER_IDENTIFIER


# --- Across processes ----------------------------------------------------------------------
REDIS_TEST_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
WORKER = """
import django, sys
django.setup()
from kabinet.core import ratelimit
limit = [ratelimit.Limit(sys.argv[1], int(sys.argv[2]))]
for _ in range(int(sys.argv[3])):
    ratelimit.attempt(limit) or ratelimit.failed(limit)
print("locked" if ratelimit.locked_until(limit) else "open")
"""


def redis_available() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def run_worker(key: str, limit: int, failures: int, prefix: str) -> subprocess.Popen:
    env = {**os.environ, "REDIS_URL": REDIS_TEST_URL, "KABINET_CACHE_PREFIX": prefix}
    env["DJANGO_SETTINGS_MODULE"] = "kabinet.settings"
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, key, str(limit), str(failures)], env=env, stdout=subprocess.PIPE, text=True
    )


def test_failures_from_several_processes_add_up_in_redis():
    """Four processes each fail 5 times at once against one key with a limit of 20: the
    counter is atomic in Redis, so exactly the 20th failure locks, and a fifth process sees it."""
    if not redis_available():
        if os.environ.get("REDIS_URL"):
            pytest.fail(f"REDIS_URL is set but Redis at {REDIS_TEST_URL} does not answer")
        pytest.skip(f"Redis at {REDIS_TEST_URL} is not running (.ci/run starts it)")
    prefix = f"kabinet-test-{uuid.uuid4().hex}"
    key = "login:id:+79120000001"
    workers = [run_worker(key, 20, 5, prefix) for _ in range(4)]
    outputs = [w.communicate(timeout=60)[0].strip() for w in workers]
    assert all(w.returncode == 0 for w in workers)
    assert outputs.count("locked") >= 1
    checker = run_worker(key, 20, 0, prefix)
    assert checker.communicate(timeout=60)[0].strip() == "locked"
    # Another key, in the same Redis, is untouched.
    assert run_worker("login:id:+79120000002", 20, 0, prefix).communicate(timeout=60)[0].strip() == "open"


def test_nineteen_failures_from_several_processes_do_not_lock():
    if not redis_available():
        pytest.skip(f"Redis at {REDIS_TEST_URL} is not running")
    prefix = f"kabinet-test-{uuid.uuid4().hex}"
    workers = [run_worker("k", 20, n, prefix) for n in (5, 5, 5, 4)]
    assert [w.communicate(timeout=60)[0].strip() for w in workers] == ["open"] * 4


RATE_WORKER = """
import django, sys
django.setup()
from django.core.cache import cache
from kabinet.core import ratelimit
refused = sum(bool(ratelimit.over_rate(sys.argv[1], int(sys.argv[2]))) for _ in range(int(sys.argv[3])))
key = cache.make_and_validate_key(ratelimit._cache_key("rate", f"{sys.argv[1]}:{ratelimit._minute()}"))
ttl = cache._cache.get_client(key).ttl(key)
print(refused, 0 < ttl <= 120)
"""


def test_a_rate_counted_from_several_processes_in_redis_adds_up_and_expires():
    """The API's per-token rate counts in Redis in one round trip (SET NX with the expiry,
    INCR, in one MULTI): four processes of 5 requests against a rate of 18 get exactly 2
    refusals between them, and the counter always has its expiry."""
    if not redis_available():
        pytest.skip(f"Redis at {REDIS_TEST_URL} is not running")
    env = {**os.environ, "REDIS_URL": REDIS_TEST_URL, "KABINET_CACHE_PREFIX": f"kabinet-test-{uuid.uuid4().hex}"}
    env["DJANGO_SETTINGS_MODULE"] = "kabinet.settings"
    for _ in range(3):  # a minute may turn during the run: then the counts start again
        command = [sys.executable, "-c", RATE_WORKER, "api:personal:1", "18", "5"]
        workers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(4)]
        outputs = [w.communicate(timeout=60)[0].split() for w in workers]
        if sum(int(refused) for refused, _ in outputs) == 2 and all(ttl == "True" for _, ttl in outputs):
            return
        env["KABINET_CACHE_PREFIX"] = f"kabinet-test-{uuid.uuid4().hex}"
    pytest.fail(f"not 2 refusals with the expiry kept in three tries: {outputs}")


def test_the_kept_redis_client_goes_with_its_cache_backend(live_redis):
    """Caches are per thread: a client kept for good would hold each thread's pool for good."""
    import gc
    import weakref

    from kabinet.core.redis_cache import RedisCache

    backend = RedisCache(f"{live_redis}/13", {"KEY_PREFIX": f"test-client-{uuid.uuid4().hex}"})
    client = ratelimit.redis_client(backend)
    assert ratelimit.redis_client(backend) is client  # made once
    assert client.connection_pool is backend._cache._get_connection_pool(write=True)
    pool = weakref.ref(client.connection_pool)
    del backend, client
    gc.collect()
    assert pool() is None
