"""Failure counters with lockout, kept in the cache so that they hold across processes
when the cache is Redis.

A *key* names what is limited ("login:id:+79991234567", "login:ip:10.0.0.1"). Each failure
increments the key's counter inside a fixed window; reaching the limit locks the key until
a stored deadline. Callers check before doing expensive or sensitive work and say until
when the lock holds.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


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


def register_failure(limits: list[Limit]) -> datetime | None:
    """Count one failure against every key; return the lock deadline if one is now locked."""
    window = int(settings.KABINET_FAILURE_WINDOW.total_seconds())
    lockout: timedelta = settings.KABINET_LOCKOUT
    deadline = None
    for limit in limits:
        counter = _cache_key("count", limit.key)
        cache.add(counter, 0, timeout=window)
        try:
            failures = cache.incr(counter)
        except ValueError:  # expired between add and incr
            cache.set(counter, 1, timeout=window)
            failures = 1
        if failures >= limit.max_failures:
            until = timezone.now() + lockout
            cache.set(_cache_key("lock", limit.key), until.timestamp(), timeout=int(lockout.total_seconds()))
            cache.delete(counter)
            deadline = until
    return deadline


def reset(limits: list[Limit]) -> None:
    """Forget the failures of keys after a success (IP keys are usually left alone)."""
    cache.delete_many([_cache_key("count", limit.key) for limit in limits])


def unlock(limits: list[Limit]) -> None:
    """Lift the locks and forget the failures of keys (after the person proved who they are)."""
    cache.delete_many([_cache_key(kind, limit.key) for limit in limits for kind in ("count", "lock")])


def identifier_limit(scope: str, identifier: str) -> Limit:
    return Limit(f"{scope}:id:{identifier.lower()}", settings.KABINET_FAILURES_PER_IDENTIFIER)


def ip_limit(scope: str, ip: str) -> Limit:
    return Limit(f"{scope}:ip:{ip}", settings.KABINET_FAILURES_PER_IP)
