"""One-time SMS codes: issue, resend, verify.

A code lives KABINET_CODE_TTL (10 minutes), is stored only as an HMAC keyed by the secret
key, dies after KABINET_CODE_MAX_ATTEMPTS wrong entries, may be resent after
KABINET_CODE_RESEND_AFTER, and a phone gets at most KABINET_CODES_PER_PHONE_PER_HOUR codes
an hour (KABINET_CODES_PER_IP_PER_HOUR per address). Limits are counted in the database,
so they hold across processes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kabinet.core import audit, ratelimit
from kabinet.core.models import AuditEvent
from kabinet.identity.models import VerificationCode
from kabinet.notifications.services import send_sms

HOUR = timedelta(hours=1)

SMS_TEXTS = {
    VerificationCode.Purpose.REGISTER: "Код для регистрации в личном кабинете: {code}. Никому его не сообщайте.",
    VerificationCode.Purpose.RESET: "Код для восстановления пароля в личном кабинете: {code}. Никому его не сообщайте.",
    VerificationCode.Purpose.PHONE_CHANGE: "Код для смены телефона в личном кабинете: {code}. Никому его не сообщайте.",
    VerificationCode.Purpose.SECOND_FACTOR: "Код для входа в личный кабинет: {code}. Никому его не сообщайте.",
}


class CodeThrottled(Exception):
    """Too soon or too many: a new code can be sent at `retry_at`."""

    def __init__(self, retry_at: datetime):
        super().__init__(retry_at)
        self.retry_at = retry_at


class CheckResult(Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # too many wrong entries
    CLOSED = "closed"  # used, replaced by a resend, or unknown
    LOCKED = "locked"  # too many wrong codes from this phone or address: wait


@dataclass(frozen=True)
class Check:
    result: CheckResult
    code: VerificationCode | None
    attempts_left: int = 0
    locked_until: datetime | None = None


def _hash(token: str, raw: str) -> str:
    # The token salts the HMAC, so equal codes of different requests hash differently.
    return hmac.new(settings.SECRET_KEY.encode(), f"{token}:{raw}".encode(), hashlib.sha256).hexdigest()


def next_send_allowed_at(phone: str, ip: str | None, now: datetime | None = None) -> datetime | None:
    """When a new code to this phone may go out, or None if it may go now."""
    now = now or timezone.now()
    recent = VerificationCode.objects.filter(created_at__gt=now - HOUR)
    by_phone = list(recent.filter(phone=phone).order_by("created_at").values_list("created_at", flat=True))
    waits = []
    if by_phone:
        waits.append(by_phone[-1] + settings.KABINET_CODE_RESEND_AFTER)
        if len(by_phone) >= settings.KABINET_CODES_PER_PHONE_PER_HOUR:
            waits.append(by_phone[-settings.KABINET_CODES_PER_PHONE_PER_HOUR] + HOUR)
    if ip:
        by_ip = list(recent.filter(ip=ip).order_by("created_at").values_list("created_at", flat=True))
        if len(by_ip) >= settings.KABINET_CODES_PER_IP_PER_HOUR:
            waits.append(by_ip[-settings.KABINET_CODES_PER_IP_PER_HOUR] + HOUR)
    retry_at = max(waits, default=None)
    return retry_at if retry_at and retry_at > now else None


@transaction.atomic
def issue_code(
    purpose: str,
    phone: str,
    *,
    payload: dict | None = None,
    user=None,
    ip: str | None = None,
    deliver: bool = True,
) -> VerificationCode:
    """Create a code and send it by SMS after commit; raise CodeThrottled when limits say wait.
    `deliver=False` records a request that must look real but reach nobody."""
    if retry_at := next_send_allowed_at(phone, ip):
        raise CodeThrottled(retry_at)
    raw = f"{secrets.randbelow(10**6):06d}"
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    code = VerificationCode.objects.create(
        token=token,
        purpose=purpose,
        phone=phone,
        code_hash=_hash(token, raw),
        payload=payload or {},
        user=user,
        ip=ip,
        created_at=now,
        expires_at=now + settings.KABINET_CODE_TTL,
    )
    if deliver:
        send_sms(phone, SMS_TEXTS[purpose].format(code=raw), secret=True)
    return code


@transaction.atomic
def resend_code(token: str, *, ip: str | None = None) -> VerificationCode:
    """Replace an open request's code with a new one, keeping its payload."""
    old = VerificationCode.objects.select_for_update().get(token=token, used_at__isnull=True)
    deliver = old.purpose != VerificationCode.Purpose.RESET or old.user is not None
    new = issue_code(old.purpose, old.phone, payload=old.payload, user=old.user, ip=ip, deliver=deliver)
    # set-based: not shown (verification codes)
    VerificationCode.objects.filter(pk=old.pk).update(revoked_at=timezone.now())
    return new


def find_open(token: str, purpose: str) -> VerificationCode | None:
    code = VerificationCode.objects.filter(token=token, purpose=purpose).first()
    return code if code and code.used_at is None and code.revoked_at is None else None


def check_code(token: str, purpose: str, raw: str, ip: str) -> Check:
    """Verify a typed code; a success marks it used so it cannot be used twice. Wrong codes
    also count against the phone and the address, across all of their codes."""
    with transaction.atomic():
        code = (
            VerificationCode.objects.select_for_update()
            .filter(token=token, purpose=purpose, used_at__isnull=True, revoked_at__isnull=True)
            .first()
        )
        if code is None:
            return Check(CheckResult.CLOSED, None)
        limits = [ratelimit.identifier_limit("code", code.phone), ratelimit.ip_limit("code", ip)]
        # Counted before the comparison, like passwords: requests racing over several of a
        # phone's codes cannot together try more than the phone's limit.
        if until := ratelimit.attempt(limits):
            return Check(CheckResult.LOCKED, code, locked_until=until)
        check = _check(code, raw)
    if check.result in (CheckResult.WRONG, CheckResult.EXHAUSTED) and check.attempts_left >= 0:
        audit.record(AuditEvent.Action.CODE_FAILED, ip=ip, identifier=code.phone, purpose=purpose)
        if until := ratelimit.failed(limits):
            return Check(CheckResult.LOCKED, code, locked_until=until)
    else:
        ratelimit.uncount(limits)  # right, or not compared at all (expired, used up)
    return check


def matches(code: VerificationCode, raw: str) -> bool:
    """Compare without counting (the caller counts): used up once right, spent by wrong tries."""
    return _check(code, raw).result is CheckResult.OK


def _check(code: VerificationCode, raw: str) -> Check:
    max_attempts = settings.KABINET_CODE_MAX_ATTEMPTS
    if code.attempts >= max_attempts:
        return Check(CheckResult.EXHAUSTED, code, -1)
    if timezone.now() >= code.expires_at:
        return Check(CheckResult.EXPIRED, code, -1)
    if hmac.compare_digest(code.code_hash, _hash(code.token, raw.strip())):
        code.used_at = timezone.now()
        code.save(update_fields=["used_at"])
        return Check(CheckResult.OK, code)
    code.attempts += 1
    code.save(update_fields=["attempts"])
    left = max_attempts - code.attempts
    return Check(CheckResult.WRONG if left else CheckResult.EXHAUSTED, code, left)
