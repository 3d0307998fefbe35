"""Cached reads for polling clients (docs/api.md, «Speed»).

Home automation asks GET /accounts every few seconds and almost always gets the same answer.
The rendered answer (body, ETag) is kept in the cache for at most SECONDS, per token and path
(the query string aside), and read in the same Redis round trip as the token's rate count (`over_rate_and_get`);
a poll that finds it costs the token check and that round trip: no account query, no JSON.
What stays exact and what may lag:

- The token is checked in PostgreSQL on every request, kept answer or not
  (identity.api_tokens): a revoked or expired token, a blocked user, an employee are refused
  at once; an answer is kept per token, so no other token ever gets it.
- Writes through the ORM — a model instance saved or deleted: an account linked or unlinked,
  a payment entered, an account edited — bump the version of the user(s) the account is linked
  to; premises and regions, shared by many users' answers, bump one version for everyone. At
  once and again when their transaction commits; an answer kept at an older version is not
  served, so the next request shows the change.
- Set-based writes, which send no signal, tell `core.changes` and bump at their commit: an
  exchange import of accounts, payments, accruals or month balances once per file (everyone's
  version), a rebuild of month balances for its accounts' users (everyone's when more than
  MANY accounts, or on PostgreSQL when the ids stay in the database). Each set-based writing
  statement in the apps carries a `# set-based:` marker, covered or with the reason it need
  not be; tests/api/test_set_based_writers.py fails on one without until someone decides.
- The local date is part of the version (the answer's balance and overdue are as of today),
  `migrate` bumps everyone's, and the key holds a hash of the answer's schema.
- So an answer is kept SECONDS (5 minutes) when the cache is Redis, shared by all processes
  (each bump reaches every process): a poller asking every 30–60 s (Home Assistant) gets the
  kept answer until something it shows changes, and the change on its next poll. With a
  per-process cache (no REDIS_URL) a bump made in another process (an import run by a worker
  or a command) is not seen, so answers are kept LOCAL_SECONDS only and the change shows
  within them (`check --deploy` refuses a production process without Redis: core.checks).
  What still lags up to SECONDS: a write made outside the application (SQL typed into psql),
  and the answers kept before a write whose bump failed (logged).

Keys start with SCHEMA's "api:read:1:" (another layout of the entries takes another number,
so that processes of two releases never read each other's entries), and Django's KEY_PREFIX
(KABINET_CACHE_PREFIX) must be unique per installation sharing a Redis.
"""

from collections.abc import Iterable
from dataclasses import dataclass
import functools
import hashlib
import json
import logging
import time

from django.apps import apps
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from redis.commands.core import Script

from kabinet.core import changes
from kabinet.core.ratelimit import over_rate_and_get, redis_client
from kabinet.identity.api_tokens import Principal

# Long enough that a poller asking every 30–60 s (Home Assistant) finds its kept answer; safe
# because every writer of what the answer shows bumps a version (tests/api/test_set_based_writers)
# and, in Redis, every process sees the bump.
SECONDS = 300
LOCAL_SECONDS = 5  # a per-process cache: another process's bumps never reach it
# More accounts than this changed at once (an import's rebuild): one bump for everyone rather
# than a query for their users.
MANY = 1000
SCHEMA = "api:read:1"
logger = logging.getLogger("kabinet.api")
SHARED_VERSION = f"{SCHEMA}:v:shared"  # regions and premises: in many users' answers


@dataclass(frozen=True)
class Entry:
    etag: str
    content_type: str
    body: bytes


def version_key(user_id: int) -> str:
    return f"{SCHEMA}:v:user:{user_id}"


def entry_key(principal: Principal, request: HttpRequest) -> str:
    # The path only: the kept endpoint takes no query parameters, so `?x=1`…`?x=600` must not
    # keep 600 answers. Hashed: a path may be long.
    path = hashlib.sha256(request.path.encode()).hexdigest()[:32]
    return f"{SCHEMA}:{_layout()}:{principal.kind}:{principal.token.pk}:{path}"


@functools.cache
def _layout() -> str:
    """A hash of the answer's schema: a release that changes the card's fields reads none of the
    answers its predecessor kept (SCHEMA covers the entries' own layout)."""
    from kabinet.api.routers.accounts import AccountOut

    schema = json.dumps(AccountOut.model_json_schema(), sort_keys=True)
    return hashlib.sha256(schema.encode()).hexdigest()[:12]


def _entry(kept: object, version: tuple[int, int, int]) -> Entry | None:
    """The kept answer if it is of this version. Kept as a plain tuple (version, etag,
    content type, body): no class of ours is pickled into the cache."""
    if isinstance(kept, tuple) and len(kept) == 4 and kept[0] == version:
        return Entry(*kept[1:])
    return None


def count_and_peek(request: HttpRequest, principal: Principal) -> int | None:
    """Count the request against the token's rate (the seconds to wait when over it) and, for
    a GET, note the kept answer and the versions on the request: one round trip."""
    rate_key = f"api:{principal.kind}:{principal.token.pk}"
    if request.method != "GET":
        return over_rate_and_get(rate_key, settings.KABINET_API_RATE, [])[0]
    keys = [version_key(principal.user.pk), SHARED_VERSION, entry_key(principal, request)]
    wait, found = over_rate_and_get(rate_key, settings.KABINET_API_RATE, keys)
    # The local date is part of the version: the answer's balance and overdue are as of today,
    # so at local midnight it changes with no write to bump anything.
    version = (found.get(keys[0], 0), found.get(keys[1], 0), timezone.localdate().toordinal())
    # `Cache-Control: no-cache` asks for a fresh answer (HTTP's meaning): it is kept for the next.
    fresh = "no-cache" in request.headers.get("Cache-Control", "")
    request.api_read = (version, None if fresh else _entry(found.get(keys[2]), version))
    return wait


def cached(request: HttpRequest) -> Entry | None:
    return getattr(request, "api_read", (0, None))[1]


def lifetime() -> int:
    """How long an answer is kept: SECONDS where the versions are shared, else LOCAL_SECONDS."""
    return SECONDS if isinstance(caches[DEFAULT_CACHE_ALIAS], RedisCache) else LOCAL_SECONDS


def keep(request: HttpRequest, response: HttpResponse) -> None:
    """Keep a 200's rendered body for the next reads of this token and path."""
    if not hasattr(request, "api_read") or not isinstance(request.auth, Principal):
        return
    kept = (request.api_read[0], response["ETag"], response["Content-Type"], response.content)
    try:
        cache.set(entry_key(request.auth, request), kept, lifetime())
    except Exception:
        # The answer is rendered: a cache that fails now costs the next poll a miss, not this
        # one its answer.
        logger.warning("API read cache: answer not kept", exc_info=True)


# A version key that is missing (never bumped, or evicted) starts from the clock in
# nanoseconds, not 1: a number it held before may still be in an entry kept for SECONDS.
# Redis's clock, not the app server's: one server's clock behind another's would restart a key
# at a number it may have held. Built as a string: Lua's numbers would print in exponent form.
_BUMP = Script(
    None,
    b"""
local now = redis.call('TIME')
local start = now[1] .. string.format('%06d', tonumber(now[2])) .. '000'
for i = 1, #KEYS do
  if not redis.call('SET', KEYS[i], start, 'NX') then redis.call('INCR', KEYS[i]) end
end
""",
)


def _increment(keys: list[str]) -> None:
    try:
        backend = caches[DEFAULT_CACHE_ALIAS]
        if isinstance(backend, RedisCache):  # one round trip for them all
            names = [backend.make_and_validate_key(key) for key in keys]
            _BUMP(keys=names, client=redis_client(backend))
            return
        for key in keys:
            if not cache.add(key, time.time_ns(), timeout=None):
                try:
                    cache.incr(key)
                except ValueError:  # evicted between add and incr
                    cache.set(key, time.time_ns(), timeout=None)
    except Exception:
        # A payment or a link must not fail for the API's cache: with the cache away the kept
        # answers are away too, and any left expire within lifetime().
        logger.warning("API read cache: versions %s not bumped", keys, exc_info=True)


def _bump(keys: list[str]) -> None:
    """Now, so that no answer kept before the write is served after it; and on commit, so that
    an answer read from the rows before they committed is not served either."""
    if not keys:
        return
    _increment(keys)
    transaction.on_commit(lambda: _increment(keys))


def _users_of(account_ids: Iterable[int]) -> list[str]:
    """The version keys of the users the accounts are linked to (at most one each)."""
    from kabinet.identity.models import AccountLink

    users = AccountLink.objects.filter(account_id__in=list(account_ids)).values_list("user_id", flat=True)
    return [version_key(user_id) for user_id in users]


def _link_changed(sender, instance, **kwargs) -> None:
    _bump([version_key(instance.user_id)])


def _link_moving(sender, instance, **kwargs) -> None:
    """A link given to another user (the shell, /admin/): its old user's answer loses it."""
    if instance._state.adding:
        return
    old = sender.objects.filter(pk=instance.pk).exclude(user_id=instance.user_id).values_list("user_id", flat=True)
    _bump([version_key(user_id) for user_id in old])


def _account_changed(sender, instance, **kwargs) -> None:
    _bump(_users_of([instance.pk]))


def _account_data_changed(sender, instance, **kwargs) -> None:
    """A payment, accrual or month balance: only its account's user sees it."""
    _bump(_users_of([instance.account_id]))


def _shared_changed(sender, **kwargs) -> None:
    _bump([SHARED_VERSION])


def _migrated(sender, **kwargs) -> None:
    """A migration may have rewritten rows with SQL: no answer kept before it is served after."""
    _increment([SHARED_VERSION])


def _accounts_changed(sender, account_ids: list[int] | None, **kwargs) -> None:
    """A set-based write committed (core.changes): its accounts' users, or everyone."""
    if account_ids is None or len(account_ids) > MANY:
        _increment([SHARED_VERSION])
    elif account_ids and (users := _users_of(account_ids)):  # no linked user: nothing to bump
        _increment(users)


def connect() -> None:
    """Bump the versions on the writes that change what the kept answers say (ApiConfig.ready).
    Accruals and month balances only on save: a receiver on their delete would make the
    rebuilds' bulk deletes go row by row (the rebuild's new rows send no signal anyway)."""
    from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount, Premises, Region
    from kabinet.identity.models import AccountLink

    receivers = [(AccountLink, _link_changed), (PersonalAccount, _account_changed), (Payment, _account_data_changed)]
    receivers += [(Premises, _shared_changed), (Region, _shared_changed)]
    for signal in (post_save, post_delete):
        for model, receiver in receivers:
            signal.connect(receiver, sender=model, dispatch_uid=f"api-read-{model.__name__}-{signal is post_save}")
    for model in (Accrual, MonthBalance):
        post_save.connect(_account_data_changed, sender=model, dispatch_uid=f"api-read-{model.__name__}-save")
    pre_save.connect(_link_moving, sender=AccountLink, dispatch_uid="api-read-AccountLink-moving")
    changes.changed.connect(_accounts_changed, dispatch_uid="api-read-set-based")
    # Sent per app with models after every migration ran (api has none): billing's, once a migrate.
    post_migrate.connect(_migrated, sender=apps.get_app_config("billing"), dispatch_uid="api-read-migrated")
