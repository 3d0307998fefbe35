"""Attempt counters with lockout, kept in the cache so that they hold across processes
when the cache is Redis.

A *key* names what is limited ("login:id:+79991234567", "login:user:42", "login:ip:10.0.0.1").
A guarded check (a password, a house number) is counted BEFORE it runs, then settled:

    if until := ratelimit.attempt(limits):  # counted atomically; over the limit: refused
        refuse(until)                        # ...and the check never runs
    if check():
        ratelimit.uncount(limits)            # not a failure after all
    elif until := ratelimit.failed(limits):  # this failure used the last attempt
        refuse(until)

Counting first is what makes the bound hold under concurrency: requests racing on one key
get the counts 1, 2, 3 … from the cache's atomic increment (INCR in Redis, a lock in
locmem), so at most `max_failures` of them reach the check, however slow the check is.
A lock lasts KABINET_LOCKOUT and its deadline is what «Повторите после HH:MM» states.
"""

from dataclasses import dataclass
from datetime import datetime
import hashlib

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone
from redis.commands.core import Script


class Locked(Exception):
    """Too many failures: the action is refused until `until`."""

    def __init__(self, until: datetime):
        super().__init__(until)
        self.until = until


@dataclass(frozen=True)
class Limit:
    key: str
    max_failures: int


def _cache_key(kind: str, key: str) -> str:
    # Identifiers may hold spaces or be long; hashing gives a safe, bounded cache key.
    return f"rl:{kind}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def locked_until(limits: list[Limit]) -> datetime | None:
    """The latest lock deadline among the keys, or None when none is locked."""
    deadlines = cache.get_many([_cache_key("lock", limit.key) for limit in limits]).values()
    now = timezone.now().timestamp()
    active = [d for d in deadlines if d and d > now]
    if not active:
        return None
    return datetime.fromtimestamp(max(active), tz=timezone.get_current_timezone())


def attempt(limits: list[Limit]) -> datetime | None:
    """Count one attempt against every key before the check runs. Returns the lock deadline
    when the attempt is refused (a key is locked, or this attempt is past a key's limit);
    then the check must not run."""
    if until := locked_until(limits):
        return until
    over = [limit for limit in limits if _count(limit) > limit.max_failures]
    return _lock(over) if over else None


def failed(limits: list[Limit]) -> datetime | None:
    """The counted attempt failed: lock the keys whose attempts reached their limit, so the
    failure that used the last attempt already says until when."""
    counts = cache.get_many([_cache_key("count", limit.key) for limit in limits])
    full = [limit for limit in limits if counts.get(_cache_key("count", limit.key), 0) >= limit.max_failures]
    return _lock(full) if full else None


def uncount(limits: list[Limit]) -> None:
    """Take a counted attempt back: it succeeded, or nothing was checked. Per-address keys
    must count failures, not the logins of everyone behind one carrier's address."""
    for limit in limits:
        counter = _cache_key("count", limit.key)
        try:
            if cache.decr(counter) < 0:  # never a credit against later failures
                cache.incr(counter)
        except ValueError:  # the window ended meanwhile: nothing left to take back
            pass


def reset(limits: list[Limit]) -> None:
    """Forget the failures of keys after a success (per-address keys are uncounted instead)."""
    cache.delete_many([_cache_key("count", limit.key) for limit in limits])


def unlock(limits: list[Limit]) -> None:
    """Lift the locks and forget the failures of keys (after the person proved who they are)."""
    cache.delete_many([_cache_key(kind, limit.key) for limit in limits for kind in ("count", "lock")])


def identifier_limit(scope: str, identifier: str) -> Limit:
    return Limit(f"{scope}:id:{identifier.lower()}", settings.KABINET_FAILURES_PER_IDENTIFIER)


def user_limit(scope: str, user_id: int) -> Limit:
    """One person, whichever of their identifiers (phone, e-mail, accounts) is typed."""
    return Limit(f"{scope}:user:{user_id}", settings.KABINET_FAILURES_PER_IDENTIFIER)


def ip_limit(scope: str, ip: str) -> Limit:
    return Limit(f"{scope}:ip:{ip}", settings.KABINET_FAILURES_PER_IP)


def _count(limit: Limit) -> int:
    window = int(settings.KABINET_FAILURE_WINDOW.total_seconds())
    counter = _cache_key("count", limit.key)
    cache.add(counter, 0, timeout=window)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 0, timeout=window)
        count = cache.incr(counter)
    if count == 1:
        # Redis' incr/decr on a key that expired a moment before recreate it without a
        # timeout; a window's first attempt makes sure the window ends.
        cache.touch(counter, window)
    return count


def _lock(limits: list[Limit]) -> datetime:
    """Lock the keys for KABINET_LOCKOUT; a lock already set keeps its deadline. The count
    is kept and ends with the lock (a second before its deadline, while the lock still
    refuses without counting), so the first attempt after the lock starts from zero."""
    lockout = int(settings.KABINET_LOCKOUT.total_seconds())
    until = timezone.now().timestamp() + lockout + 1
    for limit in limits:
        if cache.add(_cache_key("lock", limit.key), until, timeout=lockout + 1):
            cache.touch(_cache_key("count", limit.key), lockout)
    return locked_until(limits) or datetime.fromtimestamp(until, tz=timezone.get_current_timezone())


def over_rate(key: str, per_minute: int) -> int | None:
    """Count one request against `key` in the current minute; over `per_minute`, the seconds
    until the next minute starts (for Retry-After), else None. Unlike the failure counters
    above, this counts every request (the API's per-token rate)."""
    now = timezone.now().timestamp()
    minute = _minute(now)
    count = _count_in_window(_cache_key("rate", f"{key}:{minute}"), 120)
    if count <= per_minute:
        return None
    return max(1, int((minute + 1) * 60 - now + 0.999))


def _minute(now: float | None = None) -> int:
    return int((timezone.now().timestamp() if now is None else now) // 60)


def _count_in_window(counter: str, timeout: int) -> int:
    """Add one to a counter that starts at 0 and lives `timeout` seconds. In Redis one round
    trip, atomic (MULTI: SET NX with the expiry, INCR): the API counts every request, and two
    round trips were a tenth of a GET's time (bench/api.py). Elsewhere the cache's add + incr."""
    backend = caches[DEFAULT_CACHE_ALIAS]  # `cache` is a proxy: isinstance needs the backend
    if isinstance(backend, RedisCache):
        key = backend.make_and_validate_key(counter)
        with backend._cache.get_client(key, write=True).pipeline(transaction=True) as pipe:
            # set-based: not a write (a Redis pipeline: the rate count)
            return pipe.set(key, 0, ex=timeout, nx=True).incr(key).execute()[1]
    cache.add(counter, 0, timeout=timeout)
    try:
        return cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.add(counter, 0, timeout=timeout)
        return cache.incr(counter)


# over_rate_and_get in Redis: a script, one command. A MULTI pipeline was the same round trip
# but redis-py builds a pipeline object per call, which cost more CPU than the round trip.
_RATE_AND_GET = Script(
    None,  # a script of no client: each call names the cache's (EVALSHA, loaded on first use)
    b"""
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
local out = {redis.call('INCR', KEYS[1])}
for i = 2, #KEYS do out[i] = redis.call('GET', KEYS[i]) end
return out
""",
)


def redis_client(backend: RedisCache):
    """The backend's redis-py client: with Kabinet's backend (`core.redis_cache`, settings.py)
    the one it keeps for its pool, rather than the new one Django's makes for every call."""
    return backend._cache.get_client(write=True)


def over_rate_and_get(key: str, per_minute: int, keys: list[str]) -> tuple[int | None, dict]:
    """`over_rate`, and the cache's values of `keys` (as `cache.get_many`) read in the same
    round trip in Redis (one script, atomic): the API's cached reads cost a polling client one
    round trip, the count included (kabinet/api/read_cache.py). Elsewhere two calls."""
    now = timezone.now().timestamp()
    minute = _minute(now)
    counter = _cache_key("rate", f"{key}:{minute}")
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        rate_key = backend.make_and_validate_key(counter)
        client = redis_client(backend)
        names = [rate_key, *(backend.make_and_validate_key(k) for k in keys)]
        count, *raw = _RATE_AND_GET(keys=names, args=[120], client=client)
        loads = backend._cache._serializer.loads
        values = {k: loads(v) for k, v in zip(keys, raw, strict=False) if v is not None}
    else:
        count, values = _count_in_window(counter, 120), cache.get_many(keys)
    if count <= per_minute:
        return None, values
    return max(1, int((minute + 1) * 60 - now + 0.999)), values
