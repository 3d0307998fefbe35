"""Tokens of the API (docs/api.md): sign-in sessions and personal access tokens.

- A sign-in (`sign_in`) goes through the customers' own login (identity.login), so the API
  has the same identifiers, regions, limits, lockouts and audit as the login page, and
  employees fail here as there. It opens an ApiSession: a short-lived access token
  (KABINET_API_ACCESS_TTL) and a refresh token (KABINET_API_REFRESH_TTL).
- A refresh token is good once (`refresh` rotates it). A spent one presented again means that
  two parties hold it (one of them stole it): the whole session is revoked, so the thief's
  tokens die with the customer's.
- Personal access tokens are made in «Профиль» for home automation: named, scoped to some of
  the user's accounts, read-only or allowed to submit readings, with an optional expiry.
- A new password revokes everything (User.save calls `revoke_all`).

Secrets carry a prefix that says their kind, and only their SHA-256 is stored: a secret has
256 random bits, so a plain hash is enough (nothing to guess, unlike a password).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from kabinet.billing.models import PersonalAccount, Region
from kabinet.core import audit
from kabinet.core.compiled import Compiled, sentinel
from kabinet.core.models import AuditEvent
from kabinet.identity import second_factor
from kabinet.identity.accounts import FieldRejected
from kabinet.identity.login import LoginResult, Outcome, authenticate_customer
from kabinet.identity.models import ApiSession, ApiSessionToken, PersonalAccessToken, User
from kabinet.identity.staff import is_staff_member, staff_checks, staff_condition

ACCESS_PREFIX = "kba_"
REFRESH_PREFIX = "kbr_"
PERSONAL_PREFIX = "kbp_"

# «Срок действия» of a personal token: days, or None for «Без срока».
LIFETIMES: dict[str, int | None] = {"30": 30, "90": 90, "365": 365, "none": None}
NAME_MAX_LENGTH = 100
# last_used_at is written at most this often per token: a sensor polling every few seconds
# must not turn every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)
# Housekeeping deletes what has been dead this long (the security log keeps the events).
PURGE_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class Principal:
    """Who is calling the API and what the token lets them do. A sign-in sees all the user's
    linked accounts; a personal token the accounts it names (`accounts_of`)."""

    user: User
    token: ApiSessionToken | PersonalAccessToken
    can_submit_readings: bool
    kind: str  # "access" | "personal"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives


@dataclass(frozen=True)
class SignIn:
    login: LoginResult
    tokens: TokenPair | None = None
    second_factor_token: str | None = None  # password right, code owed (second_factor.api_challenge)


class InvalidToken(Exception):
    """Unknown, expired, spent or revoked."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret(prefix: str) -> tuple[str, str]:
    secret = prefix + secrets.token_urlsafe(32)
    return secret, _hash(secret)


# --- Sign-in sessions --------------------------------------------------------------------


def sign_in(identifier: str, password: str, region: Region, ip: str) -> SignIn:
    """The customers' login, then a new session. Outcomes other than OK come back as the login
    page gets them (its limits and audit already applied)."""
    result = authenticate_customer(identifier, password, region, ip)
    if result.outcome is not Outcome.OK:
        return SignIn(result)
    owed = second_factor.login_details(result.user)
    audit.record(
        AuditEvent.Action.LOGIN, user=result.user, ip=ip, identifier=result.user.phone or "", door="api", **owed
    )
    if second_factor.is_on(result.user):
        return SignIn(result, second_factor_token=second_factor.api_challenge(result.user))
    return SignIn(result, open_session(result.user, ip))


def complete_sign_in(challenge: str, code: str, ip: str) -> tuple[second_factor.Check, TokenPair | None]:
    """The second call of a sign-in with a second factor: the code, then the session. Raises
    InvalidToken for an unknown or expired challenge (5 minutes) or one made before a new password."""
    user = second_factor.api_challenge_user(challenge)
    if user is None:
        raise InvalidToken
    check = second_factor.verify(user, code, ip, site="api")
    return check, (open_session(user, ip) if check.outcome is second_factor.Outcome.OK else None)


def send_sign_in_code(challenge: str, ip: str) -> None:
    """An SMS code for the second call, for a customer with SMS codes on. Raises InvalidToken,
    second_factor.NoSmsCodes, or codes.CodeThrottled (the phone's and the address's limits)."""
    user = second_factor.api_challenge_user(challenge)
    if user is None:
        raise InvalidToken
    second_factor.send_sign_in_code(user, ip)


def open_session(user: User, ip: str | None = None) -> TokenPair:
    with transaction.atomic():
        session = ApiSession.objects.create(user=user, ip=ip)
        return _issue(session)


def _issue(session: ApiSession) -> TokenPair:
    now = timezone.now()
    access, access_hash = _new_secret(ACCESS_PREFIX)
    refresh_secret, refresh_hash = _new_secret(REFRESH_PREFIX)
    access_ttl, refresh_ttl = settings.KABINET_API_ACCESS_TTL, settings.KABINET_API_REFRESH_TTL
    # set-based: not shown (tokens: checked in the database on every request, kept answer or not)
    ApiSessionToken.objects.bulk_create(
        [
            ApiSessionToken(session=session, kind="access", token_hash=access_hash, expires_at=now + access_ttl),
            ApiSessionToken(session=session, kind="refresh", token_hash=refresh_hash, expires_at=now + refresh_ttl),
        ]
    )
    return TokenPair(access, refresh_secret, int(access_ttl.total_seconds()))


def refresh(secret: str) -> TokenPair:
    """Exchange a refresh token for a new pair; the old one is spent. A spent one presented
    again revokes its whole session. Raises InvalidToken."""
    with transaction.atomic():  # the revocation of a reused token must commit: no raise inside
        tokens = _rotate(secret)
    if tokens is None:
        raise InvalidToken
    return tokens


def _rotate(secret: str) -> TokenPair | None:
    token = (
        ApiSessionToken.objects.select_for_update()
        .select_related("session__user")
        .filter(token_hash=_hash(secret), kind="refresh")
        .first()
    )
    if token is None or token.session.revoked_at or not _may_use_api(token.session.user):
        return None
    if token.used_at is not None:
        _revoke_session(token.session, "reuse")
        audit.record(AuditEvent.Action.LOGIN_FAILED, user=token.session.user, reason="refresh_reused", door="api")
        return None
    if token.expires_at <= timezone.now():
        return None
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    return _issue(token.session)


def sign_out(principal: Principal) -> None:
    """End the session the access token belongs to (a personal token is revoked instead)."""
    token = principal.token
    if isinstance(token, PersonalAccessToken):
        revoke_personal_token(principal.user, token.pk)
    else:
        _revoke_session(token.session, "logout")
    audit.record(AuditEvent.Action.LOGOUT, user=principal.user, door="api")


def _revoke_session(session: ApiSession, reason: str) -> None:
    revoke_sessions(ApiSession.objects.filter(pk=session.pk), reason)


def revoke_all(user: User, *, reason: str) -> None:
    """Every sign-in and personal token of the user (a new password)."""
    revoke_sessions(ApiSession.objects.filter(user=user), reason)
    revoke_personal_tokens(PersonalAccessToken.objects.filter(user=user))


def revoke_sessions(sessions: QuerySet[ApiSession], reason: str) -> int:
    # set-based: not shown (tokens: checked in the database on every request, kept answer or not)
    return sessions.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_reason=reason)


def revoke_personal_tokens(tokens: QuerySet[PersonalAccessToken]) -> int:
    # set-based: not shown (tokens: checked in the database on every request, kept answer or not)
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


# --- Who is calling ----------------------------------------------------------------------


def authenticate(secret: str) -> Principal | None:
    """The principal a bearer token stands for, or None (unknown, expired, revoked, or its
    user may not use the API any more)."""
    if secret.startswith(ACCESS_PREFIX):
        return _access_principal(secret)
    if secret.startswith(PERSONAL_PREFIX):
        return _personal_principal(secret)
    return None


def _may_use_api(user: User) -> bool:
    """The customers' door only: blocked users and employees never (identity.staff)."""
    return user.is_active and not is_staff_member(user)


def _api_users(user: str) -> Q:
    """`_may_use_api` as a condition on the token query, so that a request's token, its user
    and the staff check are one query (bench/api.py)."""
    return Q(**{f"{user}__is_active": True}) & ~staff_condition(user)


def _access_tokens(token_hash: str, now: datetime) -> QuerySet[ApiSessionToken]:
    """The live access token with that hash, its session and user, if the user may use the API."""
    return (
        ApiSessionToken.objects.select_related("session__user")
        .filter(token_hash=token_hash, kind="access", expires_at__gt=now)
        .filter(_api_users("session__user"), session__revoked_at__isnull=True)
        .order_by()[:1]
    )


def _personal_tokens(token_hash: str, now: datetime) -> QuerySet[PersonalAccessToken]:
    """The personal token with that hash and its user, unless revoked, expired or its user may
    not use the API."""
    return (
        PersonalAccessToken.objects.select_related("user")
        .filter(token_hash=token_hash, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), _api_users("user"))
        .order_by()[:1]
    )


# The token queries above, compiled once per process (core.compiled): the ORM took about a
# millisecond of CPU to compile the token check on every API request (bench/api.py). Another
# registered staff check compiles them again.
_compiled_access = Compiled(_access_tokens, sentinel.text(0), sentinel.moment(0), key=staff_checks)
_compiled_personal = Compiled(_personal_tokens, sentinel.text(0), sentinel.moment(0), key=staff_checks)


def _access_principal(secret: str) -> Principal | None:
    found = _compiled_access.instances(_hash(secret), timezone.now())
    if not found:
        return None
    token = found[0]
    return Principal(token.session.user, token, True, "access")


def _personal_principal(secret: str) -> Principal | None:
    now = timezone.now()
    found = _compiled_personal.instances(_hash(secret), now)
    if not found:
        return None
    token = found[0]
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        # set-based: not shown (tokens: checked in the database on every request, kept answer or not)
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return Principal(token.user, token, token.can_submit_readings, "personal")


def accounts_of(principal: Principal) -> QuerySet[PersonalAccount]:
    """The accounts the principal may see: the user's linked accounts, narrowed to the token's.
    An account unlinked since the token was made drops out by itself."""
    return visible_accounts(principal.user.pk, scope_of(principal))


def scope_of(principal: Principal) -> int | None:
    """The personal token whose accounts narrow the principal's; None for a sign-in."""
    return principal.token.pk if principal.kind == "personal" else None


def visible_accounts(user_id: int, personal_token_id: int | None) -> QuerySet[PersonalAccount]:
    """`accounts_of` by ids, for a query compiled once (core.compiled)."""
    accounts = PersonalAccount.objects.filter(link__user_id=user_id)
    if personal_token_id is not None:
        # A subquery, not the ids read first: one query less on every request (bench/api.py).
        scope = PersonalAccessToken.accounts.through.objects.filter(personalaccesstoken_id=personal_token_id)
        accounts = accounts.filter(pk__in=scope.values("personalaccount_id"))
    return accounts


# --- Personal access tokens --------------------------------------------------------------


@dataclass(frozen=True)
class NewPersonalToken:
    token: PersonalAccessToken
    secret: str  # shown once, never stored


def create_personal_token(
    user: User, name: str, account_ids: list[int], can_submit_readings: bool, lifetime: str
) -> NewPersonalToken:
    """Raises FieldRejected («name», «accounts», «lifetime») for bad input."""
    name = (name or "").strip()
    if not name:
        raise FieldRejected("name", "Введите название токена.")
    if len(name) > NAME_MAX_LENGTH:
        raise FieldRejected("name", f"Название — не длиннее {NAME_MAX_LENGTH} символов.")
    if lifetime not in LIFETIMES:
        raise FieldRejected("lifetime", "Выберите срок действия.")
    own = set(PersonalAccount.objects.filter(link__user=user, pk__in=account_ids).values_list("pk", flat=True))
    if not account_ids:
        raise FieldRejected("accounts", "Отметьте хотя бы один лицевой счёт.")
    if own != set(account_ids):
        raise FieldRejected("accounts", "Можно выбрать только свои лицевые счета.")
    days = LIFETIMES[lifetime]
    secret, token_hash = _new_secret(PERSONAL_PREFIX)
    with transaction.atomic():
        token = PersonalAccessToken.objects.create(
            user=user,
            name=name,
            can_submit_readings=can_submit_readings,
            token_hash=token_hash,
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        token.accounts.set(own)
    audit.record(AuditEvent.Action.PROFILE_CHANGED, user=user, api_token="created", token_id=token.pk, name=name)
    return NewPersonalToken(token, secret)


def tokens_in_force() -> QuerySet[PersonalAccessToken]:
    """Tokens still in force: not revoked (expired ones stay listed as such). The one rule for
    the lists below and the profile's count (identity.profile.profile_facts)."""
    return PersonalAccessToken.objects.filter(revoked_at__isnull=True)


def personal_tokens(user: User) -> QuerySet[PersonalAccessToken]:
    """The user's tokens still in force, with their accounts."""
    return tokens_in_force().filter(user=user).prefetch_related("accounts")


# `personal_tokens` without its prefetch, compiled once per process (core.compiled): the page
# «Токены доступа» built it with the ORM on every view.
_compiled_list = Compiled(lambda user_id: tokens_in_force().filter(user_id=user_id), sentinel.integer(0))


def personal_token_list(user: User) -> list[PersonalAccessToken]:
    """What `list(personal_tokens(user))` gives: the tokens read by a compiled statement, their
    accounts by the same prefetch (only when there are tokens)."""
    tokens = _compiled_list.instances(user.pk)
    if tokens:
        prefetch_related_objects(tokens, "accounts")
    return tokens


def is_expired(token: PersonalAccessToken, now: datetime | None = None) -> bool:
    return token.expires_at is not None and token.expires_at <= (now or timezone.now())


def revoke_personal_token(user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens; another user's is simply not found (False)."""
    revoked = revoke_personal_tokens(PersonalAccessToken.objects.filter(pk=token_id, user=user))
    if revoked:
        audit.record(AuditEvent.Action.PROFILE_CHANGED, user=user, api_token="revoked", token_id=token_id)
    return bool(revoked)


# --- Housekeeping ------------------------------------------------------------------------


def purge_stale(now: datetime | None = None) -> int:
    """Delete tokens expired, and sessions and personal tokens revoked or expired, more than
    PURGE_AFTER ago: a mobile app's sign-in leaves two rows every 15 minutes. An expired
    refresh token is refused whether or not its row is there, so reuse detection loses nothing."""
    cutoff = (now or timezone.now()) - PURGE_AFTER
    # set-based: not shown (tokens: checked in the database on every request, kept answer or not)
    tokens, _ = ApiSessionToken.objects.filter(expires_at__lt=cutoff).delete()
    dead = Q(revoked_at__lt=cutoff) | Q(created_at__lt=cutoff, tokens__isnull=True)
    # set-based: not shown (tokens: checked in the database on every request, kept answer or not)
    _, sessions = ApiSession.objects.filter(dead).delete()
    # set-based: not shown (tokens: checked in the database on every request, kept answer or not)
    _, personal = PersonalAccessToken.objects.filter(Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)).delete()
    # Counted by what was meant, not by the rows that went with it (tokens, account links).
    return tokens + sessions.get("identity.ApiSession", 0) + personal.get("identity.PersonalAccessToken", 0)
