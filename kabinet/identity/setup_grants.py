"""The setup grant (docs/second-factor.md): after an administrator deleted an employee's second
factor in /admin/, the employee's password alone no longer sets up a new one — whoever knows
the password would enrol their own phone or key. The administrator hands over a one-time code
(«Выдать код подключения второго фактора», 24 hours, stored as an HMAC keyed by SECRET_KEY,
audited); the employee enters it on the setup page, which opens the setup for that session
until a device is on. The code is good once: a second entry is refused and audited.
Only a superuser issues one, never to themselves, and only to an employee with no second factor.

A new employee (a role or the staff flag given in /admin/) waits for a code too, and so did
every employee without a second factor when this came (migration 0009). Employees made
outside /admin/ (`createsuperuser`, the demo loader, which sets the demo's app up) are not
locked.
"""

from datetime import timedelta
import secrets

from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

from kabinet.core import audit
from kabinet.core.models import AuditEvent
from kabinet.identity import second_factor
from kabinet.identity.models import SetupGrant, User
from kabinet.identity.second_factor import Check, Outcome
from kabinet.identity.staff import is_staff_member

GRANT_TTL = timedelta(hours=24)
SESSION_KEY = "kabinet_setup_grant"
_HASH_SALT = "kabinet.identity.setup_grants"
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L to misread over the phone


def lock_new_employee(user: User) -> None:
    """An employee just made one (a back-office role, the staff or superuser flag in /admin/)
    sets a second factor up only with an administrator's code, as after a deletion: whoever
    learnt the password first must not enrol their own device. The demo's employees get theirs
    from the demo loader (second_factor.set_up_for_demo) and need none."""
    if is_staff_member(user) and not second_factor.is_on(user):
        SetupGrant.objects.get_or_create(user=user)


def is_locked(user: User) -> bool:
    return SetupGrant.objects.filter(user=user).exists()


def refusal(user: User, admin: User) -> str | None:
    """Why `admin` may not issue `user` a code, or None: a superuser issues one to another
    employee who has no second factor (a code for one with a factor would add a second device
    behind their back)."""
    if not admin.is_superuser:
        return "not_superuser"
    if user.pk == admin.pk:
        return "self"
    if not is_staff_member(user):
        return "customer"
    if second_factor.is_on(user):
        return "has_factor"
    return None


def issue(user: User, admin: User, ip: str | None) -> str | None:
    """A new one-time code for the employee's setup (the previous one stops working); shown once.
    None when refused (`refusal`)."""
    if refusal(user, admin):
        return None
    code = "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))
    SetupGrant.objects.update_or_create(
        user=user,
        defaults={
            "code_hash": _hash(code),
            "issued_by": admin,
            "expires_at": timezone.now() + GRANT_TTL,
            "redeemed_at": None,
        },
    )
    audit.record(
        AuditEvent.Action.SETUP_GRANT_ISSUED, user=user, ip=ip, admin=admin.pk, admin_name=admin.get_username()
    )
    return code


def redeem(request: HttpRequest, code: str, ip: str | None) -> Check:
    """The employee's code, counted like second-factor codes; opens the setup for this session
    only: the first right entry spends it, a later one is refused and audited as such."""
    user = request.user
    details = {"method": "setup_grant"}

    def proof():
        grant = SetupGrant.objects.select_for_update().filter(user=user, expires_at__gt=timezone.now()).first()
        if not (grant and grant.code_hash and secrets.compare_digest(grant.code_hash, _hash(code))):
            return None
        if grant.redeemed_at is not None:
            details["reason"] = "already_used"
            return None
        grant.redeemed_at = timezone.now()
        grant.save(update_fields=["redeemed_at"])
        return grant

    check = second_factor.counted(user, ip, proof, details)
    if check.outcome is Outcome.OK:
        request.session[SESSION_KEY] = check.device.code_hash[:16]
        # Whatever app secret was pending before the code is not this session's to confirm.
        # set-based: not shown (second-factor devices and codes)
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
    SetupGrant.objects.filter(user=request.user).delete()  # set-based: not shown (second-factor devices and codes)
    request.session.pop(SESSION_KEY, None)


def _hash(code: str) -> str:
    """Keyed (SECRET_KEY): a leaked table alone does not let 12 characters be tried offline."""
    normalised = "".join(code.upper().split()).replace("-", "")
    return salted_hmac(_HASH_SALT, normalised, algorithm="sha256").hexdigest()
