"""The setup grant (docs/second-factor.md): after an administrator deleted an employee's second
factor in /admin/, the employee's password alone no longer sets up a new one — whoever knows
the password would enrol their own phone or key. The administrator hands over a one-time code
(«Выдать код подключения второго фактора», 24 hours, stored hashed, audited); the employee
enters it on the setup page, which opens the setup for that session until a device is on.

A first setup (a new employee, the demo) needs no code: nothing was taken away that a code
would have to stand in for, and the demo keeps working.
"""

from datetime import timedelta
import hashlib
import secrets

from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kabinet.core import audit
from kabinet.core.models import AuditEvent
from kabinet.identity import second_factor
from kabinet.identity.models import SetupGrant, User
from kabinet.identity.second_factor import Check, Outcome

GRANT_TTL = timedelta(hours=24)
SESSION_KEY = "kabinet_setup_grant"
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L to misread over the phone


def is_locked(user: User) -> bool:
    return SetupGrant.objects.filter(user=user).exists()


def issue(user: User, admin: User, ip: str | None) -> str:
    """A new one-time code for the employee's setup (the previous one stops working); shown once."""
    code = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
    SetupGrant.objects.update_or_create(
        user=user,
        defaults={"code_hash": _hash(code), "issued_by": admin, "expires_at": timezone.now() + GRANT_TTL},
    )
    audit.record(AuditEvent.Action.SETUP_GRANT_ISSUED, user=user, ip=ip, admin=admin.pk)
    return code


def redeem(request: HttpRequest, code: str, ip: str | None) -> Check:
    """The employee's code, counted like second-factor codes; opens the setup for this session."""
    user = request.user

    def proof():
        grant = SetupGrant.objects.filter(user=user, expires_at__gt=timezone.now()).first()
        matches = grant and grant.code_hash and secrets.compare_digest(grant.code_hash, _hash(code))
        return grant if matches else None

    check = second_factor.counted(user, ip, proof)
    if check.outcome is Outcome.OK:
        request.session[SESSION_KEY] = check.device.code_hash[:16]
        # Whatever app secret was pending before the code is not this session's to confirm.
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        audit.record(AuditEvent.Action.SETUP_GRANT_USED, user=user, ip=ip)
    return check


def may_set_up(request: HttpRequest) -> bool:
    """Whether this session may set a second factor up: no grant needed, or this session
    redeemed the current code (a new one voids it) and it has not expired."""
    grant = SetupGrant.objects.filter(user=request.user).first()
    if grant is None:
        return True
    current = bool(grant.code_hash) and request.session.get(SESSION_KEY) == grant.code_hash[:16]
    return current and grant.expires_at is not None and grant.expires_at > timezone.now()


def done(request: HttpRequest) -> None:
    """A device is on: the grant is spent."""
    SetupGrant.objects.filter(user=request.user).delete()
    request.session.pop(SESSION_KEY, None)


def _hash(code: str) -> str:
    normalised = "".join(code.upper().split()).replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()
