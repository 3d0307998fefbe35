"""SMS codes: 6 digits, 10 minutes, only a hash stored, 5 wrong entries, resend after 60 s,
at most 5 codes per phone per hour."""

from datetime import timedelta
import re

from django.db.models import F
from django.utils import timezone
import pytest

from kabinet.identity.codes import CheckResult, CodeThrottled, check_code, issue_code, next_send_allowed_at, resend_code
from kabinet.identity.models import VerificationCode

pytestmark = pytest.mark.django_db
PHONE = "+79121112233"
IP = "10.0.0.1"
REGISTER = VerificationCode.Purpose.REGISTER


def age(code: VerificationCode, seconds: int) -> None:
    """Move a code (and so the limits counted from it) `seconds` into the past."""
    shift = timedelta(seconds=seconds)
    VerificationCode.objects.filter(pk=code.pk).update(
        created_at=F("created_at") - shift, expires_at=F("expires_at") - shift
    )


def test_six_digits_by_sms_and_only_a_hash_stored(outbox):
    code = issue_code(REGISTER, PHONE, ip=IP)
    [sms] = outbox.messages()
    raw = re.search(r"\d{6}", sms["text"]).group()
    assert sms["to"] == PHONE
    stored = VerificationCode.objects.get(pk=code.pk)
    assert raw not in str(stored.__dict__)
    assert len(stored.code_hash) == 64


def test_right_code_works_once(outbox):
    code = issue_code(REGISTER, PHONE, ip=IP)
    raw = outbox.last_code(PHONE)
    assert check_code(code.token, REGISTER, raw, IP).result is CheckResult.OK
    assert check_code(code.token, REGISTER, raw, IP).result is CheckResult.CLOSED


def test_code_is_bound_to_its_purpose(outbox):
    code = issue_code(REGISTER, PHONE, ip=IP)
    assert check_code(code.token, VerificationCode.Purpose.RESET, outbox.last_code(PHONE), IP).result is (
        CheckResult.CLOSED
    )


def test_lives_ten_minutes(outbox, settings):
    assert settings.KABINET_CODE_TTL.total_seconds() == 10 * 60
    code = issue_code(REGISTER, PHONE, ip=IP)
    raw = outbox.last_code(PHONE)
    age(code, 599)
    assert VerificationCode.objects.get(pk=code.pk).is_open
    age(code, 2)
    assert check_code(code.token, REGISTER, raw, IP).result is CheckResult.EXPIRED


def test_dies_after_five_wrong_entries(outbox):
    code = issue_code(REGISTER, PHONE, ip=IP)
    raw = outbox.last_code(PHONE)
    wrong = "000000" if raw != "000000" else "111111"
    results = [check_code(code.token, REGISTER, wrong, IP) for _ in range(5)]
    assert [r.attempts_left for r in results] == [4, 3, 2, 1, 0]
    assert results[-1].result is CheckResult.EXHAUSTED
    assert check_code(code.token, REGISTER, raw, IP).result is CheckResult.EXHAUSTED


def test_resend_only_after_sixty_seconds(outbox):
    code = issue_code(REGISTER, PHONE, ip=IP)
    with pytest.raises(CodeThrottled) as throttled:
        resend_code(code.token, ip=IP)
    assert timedelta(seconds=55) < throttled.value.retry_at - timezone.now() <= timedelta(seconds=60)
    age(code, 61)
    new = resend_code(code.token, ip=IP)
    assert new.token != code.token
    assert new.payload == code.payload
    old_raw = outbox.messages()[0]["text"]
    assert check_code(code.token, REGISTER, re.search(r"\d{6}", old_raw).group(), IP).result is CheckResult.CLOSED
    assert check_code(new.token, REGISTER, outbox.last_code(PHONE), IP).result is CheckResult.OK


def test_at_most_five_codes_per_phone_per_hour(outbox):
    for _ in range(5):
        age(issue_code(REGISTER, PHONE, ip=IP), 61)
    assert VerificationCode.objects.filter(phone=PHONE).count() == 5
    retry_at = next_send_allowed_at(PHONE, IP)
    assert retry_at is not None
    with pytest.raises(CodeThrottled):
        issue_code(REGISTER, PHONE, ip=IP)
    # Another phone from the same address is not held back by this phone's limit.
    issue_code(REGISTER, "+79121112234", ip=IP)
    # An hour after the first of the five, one more may go.
    first = VerificationCode.objects.filter(phone=PHONE).order_by("created_at").first()
    age(first, 3600)
    assert next_send_allowed_at(PHONE, IP) is None


def test_per_address_limit(outbox, settings):
    settings.KABINET_CODES_PER_IP_PER_HOUR = 3
    for n in range(3):
        issue_code(REGISTER, f"+7912111220{n}", ip=IP)
    with pytest.raises(CodeThrottled):
        issue_code(REGISTER, "+79121112209", ip=IP)
    issue_code(REGISTER, "+79121112209", ip="10.0.0.2")


def test_wrong_codes_across_requests_lock_the_phone(outbox, settings):
    """Resending cannot be used to get unlimited guesses: wrong codes count per phone."""
    settings.KABINET_FAILURES_PER_IDENTIFIER = 7
    settings.KABINET_CODE_RESEND_AFTER = timedelta(0)
    guesses = 0
    result = None
    while guesses < 20:
        code = issue_code(REGISTER, PHONE, ip=IP)
        raw = outbox.last_code(PHONE)
        wrong = "000000" if raw != "000000" else "111111"
        for _ in range(5):
            result = check_code(code.token, REGISTER, wrong, IP)
            guesses += 1
            if result.result is CheckResult.LOCKED:
                break
        if result.result is CheckResult.LOCKED:
            break
    assert result.result is CheckResult.LOCKED
    assert guesses == 7
    assert result.locked_until > timezone.now() + timedelta(minutes=14)


def test_no_sms_for_a_rolled_back_request(outbox):
    from django.db import transaction

    with transaction.atomic():
        issue_code(REGISTER, PHONE, ip=IP)
        transaction.set_rollback(True)
    assert outbox.messages() == []


def test_a_code_is_counted_before_it_is_compared(outbox, settings, monkeypatch):
    """Like passwords: with the phone's ten attempts still being compared elsewhere (counted,
    not yet settled), an eleventh is refused without being compared, even the right code."""
    from kabinet.core import ratelimit
    from kabinet.identity import codes

    code = issue_code(REGISTER, PHONE, ip=IP)
    raw = outbox.last_code(PHONE)
    in_flight = [ratelimit.identifier_limit("code", PHONE)]
    for _ in range(settings.KABINET_FAILURES_PER_IDENTIFIER):
        assert ratelimit.attempt(in_flight) is None
    compared = []
    monkeypatch.setattr(codes, "_check", lambda *args: compared.append(args))
    result = check_code(code.token, REGISTER, raw, "10.0.0.2")
    assert result.result is CheckResult.LOCKED and compared == []


def test_right_and_expired_codes_do_not_use_up_the_phones_attempts(outbox, settings):
    settings.KABINET_CODE_RESEND_AFTER = timedelta(0)
    settings.KABINET_CODES_PER_PHONE_PER_HOUR = 30
    for _ in range(settings.KABINET_FAILURES_PER_IDENTIFIER + 2):
        code = issue_code(REGISTER, PHONE, ip=IP)
        assert check_code(code.token, REGISTER, outbox.last_code(PHONE), IP).result is CheckResult.OK
    expired = issue_code(REGISTER, PHONE, ip=IP)
    raw = outbox.last_code(PHONE)
    age(expired, 601)
    for _ in range(settings.KABINET_FAILURES_PER_IDENTIFIER + 2):
        assert check_code(expired.token, REGISTER, raw, IP).result is CheckResult.EXPIRED
