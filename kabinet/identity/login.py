"""Customer login by account number, phone or e-mail (G3), with G9/G10 outcomes and lockout."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from kabinet.billing.models import PersonalAccount, Region
from kabinet.billing.registry import AccountNotFound, RegistryUnavailable, find_account
from kabinet.core import audit, ratelimit
from kabinet.core.models import AuditEvent
from kabinet.identity.identifiers import Identifier, Kind, parse_identifier
from kabinet.identity.models import User


class Outcome(Enum):
    OK = "ok"
    INVALID = "invalid"  # wrong identifier or password: never says which
    NOT_SERVED = "not_served"  # G9: password right, but the account is closed or the user blocked
    OBJECT_NOT_FOUND = "object_not_found"  # G10: registry has no such account or is unavailable
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    user: User | None = None
    locked_until: datetime | None = None


def _limits(identifier: Identifier, ip: str) -> list[ratelimit.Limit]:
    return [ratelimit.identifier_limit("login", identifier.value), ratelimit.ip_limit("login", ip)]


def _find(identifier: Identifier, region: Region | None) -> tuple[User | None, PersonalAccount | None]:
    """The user the identifier names, and the account when it is an account number.
    Raises the registry's errors for account numbers."""
    if identifier.kind is Kind.EMAIL:
        return User.objects.filter(email__iexact=identifier.value).first(), None
    if identifier.kind is Kind.PHONE:
        return User.objects.filter(phone=identifier.value).first(), None
    account = find_account(region, identifier.value)
    link = getattr(account, "link", None)
    return (link.user if link else None), account


def _check_password(user: User | None, password: str) -> bool:
    if user is None:
        # Hash anyway so that a missing user takes as long as a wrong password.
        User().set_password(password)
        return False
    before = user.password.split("$", 1)[0]
    ok = user.check_password(password)  # re-hashes legacy and outdated hashes on success
    if ok and user.password.split("$", 1)[0] != before:
        audit.record(AuditEvent.Action.LEGACY_HASH_UPGRADED, user=user, algorithm=before)
    return ok


def _fail(limits: list[ratelimit.Limit], identifier: str, ip: str, reason: str) -> LoginResult:
    until = ratelimit.register_failure(limits)
    audit.record(AuditEvent.Action.LOGIN_FAILED, identifier=identifier, reason=reason, ip=ip)
    if until:
        audit.record(AuditEvent.Action.LOCKED, identifier=identifier, ip=ip, until=until.isoformat())
        return LoginResult(Outcome.LOCKED, locked_until=until)
    return LoginResult(Outcome.INVALID)


def authenticate_customer(identifier_text: str, password: str, region: Region, ip: str) -> LoginResult:
    identifier = parse_identifier(identifier_text)
    limits = _limits(identifier, ip)
    if until := ratelimit.locked_until(limits):
        return LoginResult(Outcome.LOCKED, locked_until=until)
    try:
        user, account = _find(identifier, region)
    except RegistryUnavailable:
        return LoginResult(Outcome.OBJECT_NOT_FOUND)
    except AccountNotFound:
        # Counted as a failure so that the registry cannot be enumerated through login.
        result = _fail(limits[1:], identifier.value, ip, "object_not_found")
        return result if result.outcome is Outcome.LOCKED else LoginResult(Outcome.OBJECT_NOT_FOUND)
    if not _check_password(user, password):
        return _fail(limits, identifier.value, ip, "invalid")
    ratelimit.reset(limits[:1])
    if not user.is_active or (account is not None and not account.is_active):
        audit.record(AuditEvent.Action.LOGIN_FAILED, user=user, identifier=identifier.value, ip=ip, reason="not_served")
        return LoginResult(Outcome.NOT_SERVED, user=user)
    return LoginResult(Outcome.OK, user=user)


def authenticate_by_contact(
    identifier_text: str, password: str, ip: str, *, scope: str, allowed: Callable[[User], bool]
) -> LoginResult:
    """Login by phone or e-mail only, for a site other than the customers' (the back office):
    `allowed` says who may enter it. Anyone else fails exactly like a wrong password, so the
    page does not tell a customer's login from a wrong one."""
    identifier = parse_identifier(identifier_text)
    limits = [ratelimit.identifier_limit(scope, identifier.value), ratelimit.ip_limit(scope, ip)]
    if until := ratelimit.locked_until(limits):
        return LoginResult(Outcome.LOCKED, locked_until=until)
    user = None
    if identifier.kind is not Kind.ACCOUNT:
        user = _find(identifier, None)[0]
    if not _check_password(user, password) or not user.is_active or not allowed(user):
        return _fail(limits, identifier.value, ip, "invalid")
    ratelimit.reset(limits[:1])
    return LoginResult(Outcome.OK, user=user)
