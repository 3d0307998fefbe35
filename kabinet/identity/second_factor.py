"""The second factor (docs/second-factor.md): an authenticator app (TOTP) with recovery codes,
kept by django-otp's TOTP and static devices; the rules around them are Kabinet's.

- Employees must have one; customers may turn one on in «Профиль». A session whose user needs
  one is not verified until a code is entered (identity.middleware sends it to that page).
- Codes are counted like passwords (core.ratelimit): per person and per client address, with
  the same limits and lockout. The person's key is the second factor's own: a right password
  resets the password counter, and must not give a code-guesser fresh attempts.
- A TOTP code is good once: django-otp's device keeps the last time step used (`last_t`) and
  refuses it and anything before. django-otp reads, checks and saves without a lock, so the
  device row is locked (select_for_update) inside counted's transaction: two requests with
  the same code at once are served one after the other, and the second sees the new `last_t`.
  A recovery code is spent by its own DELETE, accepted only when that deleted the row.
- Recovery codes are stored only as their SHA-256 (truncated to django-otp's 16-character
  token column): each carries about 59 random bits (12 characters of 31), so the hash cannot
  be reversed by guessing.
- «Запомнить этот браузер»: a signed cookie naming the user, their device and a mark of their
  password hash, 30 days; a new password or a new device voids it.
"""

from base64 import b32decode, b32encode
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import cache, lru_cache
import hashlib
import json
import secrets

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, JSONObject
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp import device_classes
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from kabinet.core import audit, ratelimit
from kabinet.core.compiled import Compiled, sentinel
from kabinet.core.models import AuditEvent
from kabinet.core.qr_symbol import qr_svg
from kabinet.identity import codes as sms_codes
from kabinet.identity.models import SetupGrant, SmsDevice, User, VerificationCode
from kabinet.identity.staff import is_staff_member, staff_checks, staff_condition

SCOPE = "second_factor"
RECOVERY_CODES = 10
REMEMBER_FOR = timedelta(days=30)
REMEMBER_COOKIE = "kabinet_second_factor"
_REMEMBER_SALT = "kabinet.identity.second_factor.remember"
_API_SALT = "kabinet.identity.second_factor.api"
API_TOKEN_TTL = timedelta(minutes=5)
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class Outcome(Enum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class Check:
    outcome: Outcome
    device: TOTPDevice | StaticDevice | None = None
    locked_until: datetime | None = None
    recovery_code: bool = False
    codes_left: int = 0


@dataclass(frozen=True)
class Setup:
    """What the setup page shows: the secret as text and as the otpauth URI in a QR code."""

    secret: str
    uri: str
    qr_svg: str


# Where `identity.factors` leaves, on a user read with the request, whether a factor was on then.
FACTOR_ON_AT_LOAD = "second_factor_on_at_load"


def forget_factor_answer(user: User) -> None:
    """After a factor of `user` is turned on or off: the answer read with the user's row
    (`identity.factors.factor_on`) is asked again, so the rest of the request sees the change."""
    user.__dict__.pop(FACTOR_ON_AT_LOAD, None)


def app_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_on(user: User) -> bool:
    """Any second factor: the app, SMS codes or a passkey. The middleware asks it on every
    request of a customer's session, so it is one query written out: three ORM querysets (or
    one with three Exists) cost more CPU than the rest of the check (docs/second-factor.md)."""
    with connection.cursor() as cursor:
        cursor.execute(_any_device_sql(), [user.pk] * len(factor_models()))  # set-based: not a write (a SELECT)
        return cursor.fetchone() is not None


@cache
def factor_models() -> tuple[type, ...]:
    """Every django-otp device model that is a second factor on its own: the one list `is_on`
    and `factors.with_factor_on` ask, so a device model added later counts in both without a
    change. Recovery codes (StaticDevice) only come with a factor."""
    return tuple(model for model in device_classes() if not issubclass(model, StaticDevice))


@cache
def _any_device_sql() -> str:
    quote = connection.ops.quote_name
    tables = [(quote(kind._meta.db_table), quote(kind._meta.get_field("user").column)) for kind in factor_models()]
    selects = [f"SELECT 1 FROM {table} WHERE {user} = %s AND confirmed" for table, user in tables]  # noqa: S608 (names from the models)
    return " UNION ALL ".join(selects) + " LIMIT 1"


def code_factor_on(user: User) -> bool:
    """The app or SMS codes: one of them at a time (setup offers them only while neither is on)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or SmsDevice.objects.filter(user=user, confirmed=True).exists()
    )


def passkeys(user: User):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def sms_device(user: User) -> SmsDevice | None:
    return SmsDevice.objects.filter(user=user, confirmed=True).first()


@dataclass(frozen=True)
class Factors:
    """A user's second factors and what «Второй шаг входа» asks besides, read at once: one
    compiled statement (and the passkeys' list when there are any) where asking `is_on`,
    `code_factor_on`, `sms_device`, `passkeys`, `recovery_codes_left`, `is_staff_member` and the
    pending app device one by one took seven (docs/performance.md, step 19)."""

    app: bool
    sms: bool
    passkeys: tuple[WebAuthnCredential, ...]
    codes_left: int  # `recovery_codes_left`
    sms_allowed: bool  # `may_use_sms`
    pending: TOTPDevice | None  # `start_setup`'s device when there is one, its user not read

    @property
    def code_on(self) -> bool:
        """`code_factor_on`: the app or SMS codes."""
        return self.app or self.sms

    @property
    def on(self) -> bool:
        """`is_on`: any of `factor_models` (the app, SMS codes, passkeys; a test holds the list)."""
        return self.code_on or bool(self.passkeys)


def _factors(user_id: int) -> QuerySet[User]:
    mine = {"user": OuterRef("pk"), "confirmed": True}
    codes = StaticToken.objects.filter(device__user=OuterRef("pk"), device__confirmed=True).order_by()
    pending = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=False).order_by("pk")
    return (
        User.objects.filter(pk=user_id)
        .only("pk")
        .annotate(
            app_on=Exists(TOTPDevice.objects.filter(**mine)),
            sms_on=Exists(SmsDevice.objects.filter(**mine)),
            passkeys_on=Exists(WebAuthnCredential.objects.filter(**mine)),
            codes_left=Coalesce(Subquery(codes.values("device__user").annotate(n=Count("pk")).values("n")), 0),
            staff=ExpressionWrapper(staff_condition(), output_field=BooleanField()),
            pending=Subquery(pending.values(device=JSONObject(pk="pk", key="key", step="step", digits="digits"))[:1]),
        )
    )


# Compiled once a process (core.compiled), again when the staff checks registered change.
_FACTORS = Compiled(_factors, sentinel.integer(0), key=staff_checks)


def factors(user: User) -> Factors:
    rows = _FACTORS.rows(user.pk)
    if not rows:  # the user deleted meanwhile: no factor, nothing pending
        return Factors(False, False, (), 0, False, None)
    app, sms, has_passkeys, codes_left, staff, pending = (
        rows.annotation(name)[0] for name in ("app_on", "sms_on", "passkeys_on", "codes_left", "staff", "pending")
    )
    return Factors(
        app=bool(app),
        sms=bool(sms),
        passkeys=tuple(passkeys(user)) if has_passkeys else (),
        codes_left=codes_left,
        sms_allowed=_sms_allowed(user, bool(staff)),
        pending=_pending_device(user, pending),
    )


def _pending_device(user: User, fields: dict | str | None) -> TOTPDevice | None:
    """The pending device from `_factors`' JSON object of its fields (a text where the driver
    does not decode JSON), with its user, as `config_url` and `bin_key` need it."""
    if isinstance(fields, str):
        fields = json.loads(fields)
    if not fields:
        return None
    return TOTPDevice(
        id=fields["pk"], user=user, key=fields["key"], step=fields["step"], digits=fields["digits"], confirmed=False
    )


def may_use_sms(user: User) -> bool:
    return _sms_allowed(user, is_staff_member(user))


def _sms_allowed(user: User, staff: bool) -> bool:
    """Customers only, and only with a phone: NIST SP 800-63B counts SMS as «restricted»."""
    return bool(user.phone) and not staff


def may_turn_off(user: User) -> bool:
    return not is_staff_member(user)


def methods(user: User) -> list[str]:
    """What the API's sign-in may be completed with. Not a passkey: its ceremony is bound to the
    site's origin, which a token request does not have (docs/api.md)."""
    found = [("totp", app_device(user)), ("sms", sms_device(user)), ("recovery_code", recovery_codes_left(user))]
    return [name for name, present in found if present]


def login_details(user: User) -> dict[str, str]:
    """For the LOGIN audit event, written when the password is right: whether a code is still
    owed (customers with one on; employees always). SECOND_FACTOR_USED follows when it is given."""
    return {"second_factor": "pending"} if is_staff_member(user) or is_on(user) else {}


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Setup --------------------------------------------------------------------------------


def start_setup(user: User) -> Setup:
    """The pending (unconfirmed) device's secret, made on first call and kept until confirmed,
    so reloading the page does not change the QR code the person has just scanned."""
    return setup_of(user, TOTPDevice.objects.filter(user=user, confirmed=False).first())


def setup_of(user: User, pending: TOTPDevice | None) -> Setup:
    """`start_setup` with its pending device already read (`Factors.pending`), or None: made now."""
    device = pending or TOTPDevice.objects.create(user=user, name="Приложение", confirmed=False)
    device.user = user  # its label (config_url) names the user: not read again
    secret = b32encode(device.bin_key).decode()
    uri = device.config_url
    if not user.phone:  # django-otp labels by the username, which an employee may lack
        uri = uri.replace("%3ANone?", f"%3A{user.email or user.pk}?")
    return Setup(secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)), uri=uri, qr_svg=_symbol(uri))


@lru_cache(maxsize=256)
def _symbol(uri: str) -> str:
    """The setup's QR code, kept a while in the process: the page is reloaded with the same
    pending secret until the code is confirmed, and drawing it was most of the page's own CPU
    (docs/performance.md, step 19). Kept only here, never in a shared cache: it holds the secret."""
    return qr_svg(uri.encode(), scale=4, title="QR-код для приложения-аутентификатора")


def confirm_setup(user: User, code: str, ip: str | None) -> tuple[Check, list[str]]:
    """Turn the pending device on when the code from the app is right; then the recovery codes,
    shown once. Counted like every other code. Not while a second factor is on (SMS codes):
    setup is for turning one on, and app and SMS together are not offered. Passkeys may be there:
    the app is then another way in, and the recovery codes are renewed."""
    if code_factor_on(user) or not TOTPDevice.objects.filter(user=user, confirmed=False).exists():
        return Check(Outcome.INVALID), []

    def proof():
        pending = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        return pending if pending and pending.verify_token(_digits(code)) else None

    check = counted(user, ip, proof)
    if check.outcome is not Outcome.OK:
        return check, []
    device = check.device
    with transaction.atomic():
        # set-based: not shown (second-factor devices and codes)
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = issue_recovery_codes(user)
    forget_factor_answer(user)
    audit.record(AuditEvent.Action.SECOND_FACTOR_ON, user=user, ip=ip, method="totp")
    return Check(Outcome.OK, device=device), codes


def new_recovery_codes(user: User, ip: str | None) -> list[str]:
    """Replace the recovery codes (the old ones stop working); shown once."""
    with transaction.atomic():
        codes = issue_recovery_codes(user)
    audit.record(AuditEvent.Action.RECOVERY_CODES_NEW, user=user, ip=ip)
    return codes


def turn_off(user: User, code_or_password: str, ip: str | None) -> Check:
    """Customers only. Proven by a current code or the password, counted like codes."""
    if not may_turn_off(user) or not is_on(user):
        return Check(Outcome.INVALID)

    def proof():
        return verify_code(user, code_or_password) or (user if user.check_password(code_or_password) else None)

    check = counted(user, ip, proof)
    if check.outcome is Outcome.OK:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()  # set-based: not shown (second-factor devices and codes)
            SmsDevice.objects.filter(user=user).delete()  # set-based: not shown (second-factor devices and codes)
            # set-based: not shown (second-factor devices and codes)
            WebAuthnCredential.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()  # set-based: not shown (second-factor devices and codes)
        forget_factor_answer(user)
        audit.record(AuditEvent.Action.SECOND_FACTOR_OFF, user=user, ip=ip)
    return check


def delete_by_admin(devices: list, admin: User, ip: str | None) -> None:
    """An administrator deletes devices in /admin/ (an employee's lost phone): each one is a
    second factor turned off, audited with who did it. An employee left without one sets a new
    one up only with a code from an administrator (identity.setup_grants)."""
    with transaction.atomic():
        for device in devices:
            device.delete()  # set-based: not shown (second-factor devices and codes)
            audit.record(
                AuditEvent.Action.SECOND_FACTOR_OFF,
                user=device.user,
                ip=ip,
                by="admin",
                admin=admin.pk,
                method=_method(device),
            )
        for user in {device.user for device in devices}:
            if is_staff_member(user) and not is_on(user):
                # A code issued before this deletion opens nothing, nor does a pending app
                # secret shown to some earlier session (it would make codes once confirmed).
                SetupGrant.objects.update_or_create(user=user, defaults={"code_hash": "", "expires_at": None})
                # set-based: not shown (second-factor devices and codes)
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()


def start_sms_setup(user: User, ip: str | None) -> VerificationCode:
    """Send a code to the customer's phone; its return turns SMS codes on. Raises
    codes.CodeThrottled when the phone's or the address's limits say wait."""
    if not may_use_sms(user):
        raise PermissionError("SMS codes are for customers with a phone")
    return send_code(user, ip)


def confirm_sms_setup(user: User, raw: str, ip: str | None) -> tuple[Check, list[str]]:
    if not may_use_sms(user) or code_factor_on(user):
        return Check(Outcome.INVALID), []

    def proof():
        return user if _sms_matches(user, raw) else None

    check = counted(user, ip, proof)
    if check.outcome is not Outcome.OK:
        return check, []
    with transaction.atomic():
        device = SmsDevice.objects.create(user=user, name="SMS", confirmed=True)
        codes = issue_recovery_codes(user)
    forget_factor_answer(user)
    audit.record(AuditEvent.Action.SECOND_FACTOR_ON, user=user, ip=ip, method="sms")
    return Check(Outcome.OK, device=device), codes


def send_code(user: User, ip: str | None) -> VerificationCode:
    """A code by SMS for the sign-in (or the setup); limited like every SMS code."""
    code = sms_codes.issue_code(VerificationCode.Purpose.SECOND_FACTOR, user.phone, user=user, ip=ip)
    audit.record(AuditEvent.Action.CODE_SENT, user=user, ip=ip, identifier=user.phone, purpose="second_factor")
    return code


class NoSmsCodes(Exception):
    """The user has not turned SMS codes on: there is nothing to send."""


def send_sign_in_code(user: User, ip: str | None) -> VerificationCode:
    """An SMS code for a sign-in that owes one; raises NoSmsCodes, or codes.CodeThrottled."""
    if sms_device(user) is None:
        raise NoSmsCodes
    return send_code(user, ip)


def _sms_matches(user: User, raw: str) -> bool:
    code = (
        VerificationCode.objects.select_for_update()
        .filter(
            user=user, purpose=VerificationCode.Purpose.SECOND_FACTOR, used_at__isnull=True, revoked_at__isnull=True
        )
        .order_by("-created_at")
        .first()
    )
    return code is not None and sms_codes.matches(code, _digits(raw))


def issue_recovery_codes(user: User) -> list[str]:
    """The codes a first factor comes with, inside the caller's transaction (identity.passkeys)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Резервные коды", defaults={"confirmed": True})
    device.token_set.all().delete()  # set-based: not shown (second-factor devices and codes)
    codes = ["-".join("".join(secrets.choice(_CODE_ALPHABET) for _ in range(4)) for _ in range(3)) for _ in range(10)]
    # set-based: not shown (second-factor devices and codes)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=_code_hash(c)) for c in codes])
    return codes


def _code_hash(code: str) -> str:
    normalised = "".join(code.lower().split()).replace("-", "")
    return hashlib.sha256(normalised.encode()).hexdigest()[:16]


def _digits(code: str) -> str:
    return "".join(code.split())


def set_up_for_demo(user: User, secret: str) -> bool:
    """The demo's employees get the app set up with a documented key (README), so the demo can
    be tried without a phone; only in DEBUG, never for a real installation."""
    if not settings.DEBUG:
        raise RuntimeError("demo second factor outside DEBUG")
    if is_on(user):
        return False
    key = b32decode(secret.replace(" ", "")).hex()
    TOTPDevice.objects.filter(user=user).delete()  # set-based: not shown (second-factor devices and codes)
    TOTPDevice.objects.create(user=user, name="Приложение (демо)", key=key, confirmed=True)
    forget_factor_answer(user)
    # set-based: not shown (second-factor devices and codes)
    SetupGrant.objects.filter(user=user).delete()  # the demo's app is set up: nothing waits
    return True


# --- Verification ---------------------------------------------------------------------------


def verify(user: User, code: str, ip: str | None, *, site: str = "") -> Check:
    """A code at sign-in: from the app, or a recovery code (then used up). Audited either way."""
    check = counted(user, ip, lambda: verify_code(user, code))
    where = {"site": site} if site else {}
    if check.outcome is Outcome.OK:
        recovery = isinstance(check.device, StaticDevice)
        left = recovery_codes_left(user) if recovery else 0
        if recovery:
            audit.record(AuditEvent.Action.RECOVERY_CODE_USED, user=user, ip=ip, left=left, **where)
        audit.record(AuditEvent.Action.SECOND_FACTOR_USED, user=user, ip=ip, method=_method(check.device), **where)
        return Check(Outcome.OK, device=check.device, recovery_code=recovery, codes_left=left)
    return check


def verify_code(user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts the code (once), without counting: callers count."""
    code = (code or "").strip()
    if not code or len(code) > 64:
        return None
    # Callers hold a transaction (counted): the lock lasts until the new last_t is committed.
    app = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if app and _digits(code).isdigit() and app.verify_token(_digits(code)):
        return app
    if (device := sms_device(user)) and _digits(code).isdigit() and _sms_matches(user, code):
        return device
    recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
    # Not StaticDevice.verify_token: it answers True even when another request deleted the row.
    # set-based: not shown (second-factor devices and codes)
    if recovery and StaticToken.objects.filter(device=recovery, token=_code_hash(code)).delete()[0] == 1:
        recovery.set_last_used_timestamp(commit=True)
        return recovery
    return None


def _method(device) -> str:
    return {StaticDevice: "recovery_code", SmsDevice: "sms", WebAuthnCredential: "passkey"}.get(type(device), "totp")


def limits(user: User, ip: str | None) -> list[ratelimit.Limit]:
    """The person's limit first; the address's only when known, else every caller without one
    would share a counter and lock each other out."""
    return [ratelimit.user_limit(SCOPE, user.pk)] + ([ratelimit.ip_limit(SCOPE, ip)] if ip else [])


def counted(user: User, ip: str | None, check, details: dict | None = None) -> Check:
    """`check` (run in a transaction) returns the device that accepted the proof, or None: a
    failure counted and audited like a wrong code (identity.passkeys uses it too). `details` go
    into the failure's audit event; `check` may add to them (why it refused)."""
    keys = limits(user, ip)
    if until := ratelimit.attempt(keys):
        return Check(Outcome.LOCKED, locked_until=until)
    with transaction.atomic():
        device = check()
    if device is not None:
        ratelimit.uncount(keys[1:])  # the address counts failures only
        ratelimit.reset(keys[:1])
        return Check(Outcome.OK, device=device)
    until = ratelimit.failed(keys)
    audit.record(AuditEvent.Action.SECOND_FACTOR_FAILED, user=user, ip=ip, **(details or {}))
    if until:
        audit.record(AuditEvent.Action.LOCKED, user=user, ip=ip, until=until.isoformat(), scope=SCOPE)
        return Check(Outcome.LOCKED, locked_until=until)
    return Check(Outcome.INVALID)


# --- «Запомнить этот браузер» -------------------------------------------------------------


def _password_mark(user: User) -> str:
    return salted_hmac(_REMEMBER_SALT, user.password, algorithm="sha256").hexdigest()[:32]


def remember_token(user: User, device: TOTPDevice | SmsDevice | WebAuthnCredential) -> str:
    return signing.dumps({"u": user.pk, "d": device.persistent_id, "p": _password_mark(user)}, salt=_REMEMBER_SALT)


def remembered_device(user: User, token: str | None) -> TOTPDevice | SmsDevice | WebAuthnCredential | None:
    """The user's device when the cookie is theirs, unexpired, made for this device and this
    password; else None."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=_REMEMBER_SALT, max_age=REMEMBER_FOR)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != user.pk:
        return None
    devices = [app_device(user), sms_device(user), *passkeys(user)]
    device = next((d for d in devices if d and d.persistent_id == data.get("d")), None)
    if device is None or not constant_time_compare(str(data.get("p", "")), _password_mark(user)):
        return None
    return device


# --- The API's two-step sign-in -------------------------------------------------------------


def api_challenge(user: User) -> str:
    """A short-lived token that stands for «password right, code still owed» between the API's
    two calls; bound to the password, so a new password voids it."""
    return signing.dumps({"u": user.pk, "p": _password_mark(user)}, salt=_API_SALT)


def api_challenge_user(token: str) -> User | None:
    try:
        data = signing.loads(token, salt=_API_SALT, max_age=API_TOKEN_TTL)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first() if isinstance(data, dict) else None
    if user is None or not constant_time_compare(str(data.get("p", "")), _password_mark(user)):
        return None
    return user


# --- Sessions ---------------------------------------------------------------------------------


def admit_remembered(request, user: User) -> bool:
    """Right after the password: a browser remembered for this user skips the code."""
    device = remembered_device(user, request.COOKIES.get(REMEMBER_COOKIE))
    if device is None:
        return False
    otp_login(request, device)
    audit.record(AuditEvent.Action.SECOND_FACTOR_USED, request=request, user=user, method="remembered_browser")
    return True


def mark_verified(request, device) -> None:
    """The session has entered its code (or has just set the device up)."""
    otp_login(request, device)


def remember(response, user: User, device, *, secure: bool) -> None:
    if isinstance(device, TOTPDevice | SmsDevice | WebAuthnCredential):  # not a recovery code
        response.set_cookie(
            REMEMBER_COOKIE,
            remember_token(user, device),
            max_age=int(REMEMBER_FOR.total_seconds()),
            secure=secure,
            httponly=True,
            samesite="Lax",
        )
