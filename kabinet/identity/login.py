"""Password login at every door: the customers' login by account number, phone or e-mail
(G3, with the G9/G10 outcomes), and the employees' doors (back office, admin site) by phone
or e-mail.

All doors count the same way (docs/identifiers.md):
- what was typed is normalised once (parse_identifier); that one value is counted and looked
  up, so « +79990000000» and «+79990000000» are the same key;
- failures count per identifier, per person (whichever of their phone, e-mail or accounts
  is typed) and per client address; identifier and person keys are shared by every door,
  so a person gets KABINET_FAILURES_PER_IDENTIFIER guesses in all;
- an attempt is counted before its password is checked (ratelimit.attempt), so parallel
  requests cannot slip past the limit while the hash runs.
"""

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
from kabinet.identity.staff import is_staff_member

SCOPE = "login"  # the identifier and person keys every door shares
CUSTOMERS = "login"  # the customers' door (the scope of its per-address key, kept from before)


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


def person_limits(user: User) -> list[ratelimit.Limit]:
    """Every login key that names this person: their own and each of their identifiers'."""
    identifiers = [user.phone, user.email, *user.account_links.values_list("account__number", flat=True)]
    return [ratelimit.user_limit(SCOPE, user.pk)] + [ratelimit.identifier_limit(SCOPE, i) for i in identifiers if i]


def authenticate_customer(identifier_text: str, password: str, region: Region, ip: str) -> LoginResult:
    """The customers' login. Employees fail here like a wrong password: they have their own doors."""
    identifier = parse_identifier(identifier_text)
    limits = _limits(identifier, CUSTOMERS, ip)
    if until := ratelimit.attempt(limits):
        return LoginResult(Outcome.LOCKED, locked_until=until)
    try:
        user, account = _find(identifier, region)
    except RegistryUnavailable:
        ratelimit.uncount(limits)  # nothing was checked
        return LoginResult(Outcome.OBJECT_NOT_FOUND)
    except AccountNotFound:
        # Counted against the address only, so that the registry cannot be enumerated through
        # login, while a number typed in the wrong region does not lock it in its own.
        ratelimit.uncount(limits[:1])
        result = _fail(limits[1:], identifier.value, ip, reason="object_not_found")
        return result if result.outcome is Outcome.LOCKED else LoginResult(Outcome.OBJECT_NOT_FOUND)
    result = _verify(identifier, user, password, limits, ip, allowed=lambda u: not is_staff_member(u))
    if result.outcome is Outcome.OK and (not user.is_active or (account is not None and not account.is_active)):
        audit.record(AuditEvent.Action.LOGIN_FAILED, user=user, identifier=identifier.value, ip=ip, reason="not_served")
        return LoginResult(Outcome.NOT_SERVED, user=user)
    return result


def authenticate_by_contact(
    identifier_text: str, password: str, ip: str, *, scope: str, allowed: Callable[[User], bool]
) -> LoginResult:
    """Login by phone or e-mail only, for a site other than the customers' (the back office, the
    admin site): `scope` names the site, `allowed` says who may enter it. Anyone else fails
    exactly like a wrong password, so the page does not tell a customer's login from a wrong one."""
    identifier = parse_identifier(identifier_text)
    limits = _limits(identifier, scope, ip)
    if until := ratelimit.attempt(limits):
        return LoginResult(Outcome.LOCKED, locked_until=until)
    user = None if identifier.kind is Kind.ACCOUNT else _find(identifier, None)[0]
    return _verify(identifier, user, password, limits, ip, allowed=lambda u: u.is_active and allowed(u), site=scope)


def _limits(identifier: Identifier, site: str, ip: str) -> list[ratelimit.Limit]:
    """The identifier's key (shared by all doors) and the client address's key (per door)."""
    return [ratelimit.identifier_limit(SCOPE, identifier.value), ratelimit.ip_limit(site, ip)]


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


def _verify(
    identifier: Identifier,
    user: User | None,
    password: str,
    limits: list[ratelimit.Limit],
    ip: str,
    *,
    allowed: Callable[[User], bool],
    site: str = "",
) -> LoginResult:
    """Count the person's attempt, check the password, settle the counters. The identifier's
    and the address's attempts (`limits`) are already counted."""
    person = [ratelimit.user_limit(SCOPE, user.pk)] if user else []
    if until := ratelimit.attempt(person):
        ratelimit.uncount(limits)  # refused by a lock, nothing checked: as attempt() does for a locked key
        return LoginResult(Outcome.LOCKED, locked_until=until)
    if not _check_password(user, password):
        return _fail(limits + person, identifier.value, ip, reason="invalid", site=site)
    if not allowed(user):  # told apart in the audit log only
        return _fail(limits + person, identifier.value, ip, reason="not_allowed", site=site)
    ratelimit.uncount(limits[1:])  # the address counts failures only
    ratelimit.reset(limits[:1] + person)
    return LoginResult(Outcome.OK, user=user)


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


def _fail(limits: list[ratelimit.Limit], identifier: str, ip: str, *, reason: str, site: str = "") -> LoginResult:
    until = ratelimit.failed(limits)
    where = {"site": site} if site else {}
    audit.record(AuditEvent.Action.LOGIN_FAILED, identifier=identifier, reason=reason, ip=ip, **where)
    if until:
        audit.record(AuditEvent.Action.LOCKED, identifier=identifier, ip=ip, until=until.isoformat(), **where)
        return LoginResult(Outcome.LOCKED, locked_until=until)
    return LoginResult(Outcome.INVALID)
