"""Cached reads for polling clients (docs/api.md, «Speed»).

Home automation asks GET /accounts every few seconds and almost always gets the same answer.
The rendered answer (body, ETag) is kept in the cache for at most SECONDS, per token and full
path, and read in the same Redis round trip as the token's rate count (`over_rate_and_get`);
a poll that finds it costs the token check and that round trip: no account query, no JSON.
What stays exact and what may lag:

- The token is checked in PostgreSQL on every request, kept answer or not
  (identity.api_tokens): a revoked or expired token, a blocked user, an employee are refused
  at once; an answer is kept per token, so no other token ever gets it.
- Writes through the ORM — a model instance saved or deleted: an account linked or unlinked,
  a payment entered, an account, premises or region edited — bump a version (the user's for
  links, one for the billing data), at once and again when their transaction commits; an
  answer kept at an older version is not served, so the next read shows the change.
- Set-based writes, which send no signal — the imports' SQL, `bulk_create`, `QuerySet.update`,
  the month balances a rebuild writes — are seen within SECONDS: the kept answer expires.
"""

from dataclasses import dataclass
import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse

from kabinet.core.ratelimit import over_rate_and_get
from kabinet.identity.api_tokens import Principal

SECONDS = 5
logger = logging.getLogger("kabinet.api")
DATA_VERSION = "api:read:v:billing"


@dataclass(frozen=True)
class Entry:
    version: tuple[int, int]  # the user's, the billing data's
    etag: str
    content_type: str
    body: bytes


def version_key(user_id: int) -> str:
    return f"api:read:v:{user_id}"


def entry_key(principal: Principal, request: HttpRequest) -> str:
    # The URL hashed: a query string may be long or hold what a cache key must not.
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    return f"api:read:{principal.kind}:{principal.token.pk}:{path}"


def count_and_peek(request: HttpRequest, principal: Principal) -> int | None:
    """Count the request against the token's rate (the seconds to wait when over it) and, for
    a GET, note the cached entry and the user's version on the request: one round trip."""
    keys = [version_key(principal.user.pk), DATA_VERSION]
    if request.method == "GET":
        keys.append(entry_key(principal, request))
    wait, found = over_rate_and_get(f"api:{principal.kind}:{principal.token.pk}", settings.KABINET_API_RATE, keys)
    version = (found.get(keys[0], 0), found.get(keys[1], 0))
    entry = found.get(keys[2]) if len(keys) > 2 else None
    request.api_read = (version, entry if isinstance(entry, Entry) and entry.version == version else None)
    return wait


def cached(request: HttpRequest) -> Entry | None:
    return getattr(request, "api_read", (0, None))[1]


def keep(request: HttpRequest, response: HttpResponse) -> None:
    """Keep a 200's rendered body for the next reads of this token and path."""
    if not hasattr(request, "api_read") or not isinstance(request.auth, Principal):
        return
    entry = Entry(request.api_read[0], response["ETag"], response["Content-Type"], response.content)
    cache.set(entry_key(request.auth, request), entry, SECONDS)


def _increment(key: str) -> None:
    try:
        cache.add(key, 0, timeout=None)
        try:
            cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=None)
    except Exception:
        # A payment or a link must not fail for the API's cache: with the cache away the kept
        # answers are away too, and any left expire within SECONDS.
        logger.warning("API read cache: version %s not bumped", key, exc_info=True)


def _bump(key: str) -> None:
    """Now, so that no answer kept before the write is served after it; and on commit, so that
    an answer read from the rows before they committed is not served either."""
    _increment(key)
    transaction.on_commit(lambda: _increment(key))


def _link_changed(sender, instance, **kwargs) -> None:
    _bump(version_key(instance.user_id))


def _billing_changed(sender, **kwargs) -> None:
    _bump(DATA_VERSION)


def connect() -> None:
    """Bump the versions on the writes that change what the kept answers say (ApiConfig.ready).
    Accruals and month balances only on save: a receiver on their delete would make the
    rebuilds' bulk deletes go row by row (the rebuild's new rows send no signal anyway)."""
    from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount, Premises, Region
    from kabinet.identity.models import AccountLink

    for signal in (post_save, post_delete):
        signal.connect(_link_changed, sender=AccountLink, dispatch_uid=f"api-read-link-{signal is post_save}")
        for model in (Payment, PersonalAccount, Premises, Region):
            signal.connect(
                _billing_changed, sender=model, dispatch_uid=f"api-read-{model.__name__}-{signal is post_save}"
            )
    for model in (Accrual, MonthBalance):
        post_save.connect(_billing_changed, sender=model, dispatch_uid=f"api-read-{model.__name__}-save")
