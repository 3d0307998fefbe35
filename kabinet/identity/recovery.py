"""Password recovery (G8): by phone (SMS code) or e-mail (one-time link), then a new password.

Both answer the same whether or not the identifier exists, and take the same work to do so
(the e-mail is looked up and sent by a background step, which starts once the answer has gone
out). A new password ends every other session of the user, because Django ties sessions to
the password hash, voids the e-mail confirmation links sent before, and is told to the user's
phone and e-mail.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from kabinet.core import audit, ratelimit
from kabinet.core.after_response import later
from kabinet.core.models import AuditEvent
from kabinet.core.wording import greeting
from kabinet.identity import codes
from kabinet.identity.accounts import count_contact_use
from kabinet.identity.login import person_limits
from kabinet.identity.models import User, VerificationCode
from kabinet.identity.security_notices import Contacts, notify_security_change
from kabinet.notifications.services import send_email

PURPOSE = VerificationCode.Purpose.RESET


def start_phone_reset(phone: str, ip: str) -> VerificationCode:
    """A reset code for the phone. For an unknown phone the request is recorded the same way
    (same limits, same page) but no SMS goes out, so nobody can use it."""
    user = User.objects.filter(phone=phone).first()
    code = codes.issue_code(PURPOSE, phone, user=user, ip=ip, deliver=user is not None)
    audit.record(AuditEvent.Action.CODE_SENT, ip=ip, user=user, identifier=phone, purpose=PURPOSE)
    return code


def check_phone_reset(token: str, raw_code: str, ip: str) -> codes.Check:
    check = codes.check_code(token, PURPOSE, raw_code, ip)
    if check.result is codes.CheckResult.OK and (check.code.user is None or not check.code.user.is_active):
        # Nobody was sent this code; a lucky guess must not look like success.
        return codes.Check(codes.CheckResult.WRONG, check.code, attempts_left=0)
    return check


def start_email_reset(email: str, ip: str) -> None:
    """Count the use, log it and hand the address to the background step, the same for every
    address: looking the user up and mailing the link here made known addresses answer
    slower than unknown ones. Raises TooManyRequests past the limits.

    The step is handed over after the response: without a broker Celery runs it eagerly, and
    inside the request its lookup, link and delivery made a known address answer twice as
    slowly (bench/recovery_timing.py)."""
    from kabinet.identity.tasks import send_reset_link

    email = email.strip().lower()
    count_contact_use("contact", email, user=None, ip=ip)
    audit.record(AuditEvent.Action.PASSWORD_RESET, ip=ip, identifier=email, stage="requested")
    transaction.on_commit(lambda: later(send_reset_link.delay, email))


def send_reset_link(email: str) -> bool:
    """The background step: mail the link if the address is a confirmed e-mail of an active
    user (an address awaiting confirmation recovers nothing). Returns whether it was sent."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return False
    link = settings.KABINET_PUBLIC_URL + reverse(
        "portal:reset_by_link",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    send_email(
        user.email,
        "Восстановление пароля в личном кабинете",
        f"{greeting(user.first_name)}\n\n"
        "Чтобы задать новый пароль, откройте ссылку (она действует 1 час и только один раз):\n"
        f"{link}\n\nЕсли вы не запрашивали восстановление пароля, просто проигнорируйте это письмо.",
        secret=True,
    )
    audit.record(AuditEvent.Action.PASSWORD_RESET, user=user, identifier=user.email, stage="link_sent")
    return True


def user_for_link(uidb64: str, token: str) -> User | None:
    """The user an e-mail link was made for, if the link is still valid. The token dies when the
    password changes or after PASSWORD_RESET_TIMEOUT, so it works once."""
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None
    return user if default_token_generator.check_token(user, token) else None


def set_new_password(user: User, password: str, ip: str, *, channel: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password"])
    notify_security_change(user, "password", Contacts.of(user))
    # Whoever reset the password proved they hold the phone or the mailbox: the lock that
    # the failed logins put on this person and their identifiers no longer protects anyone.
    ratelimit.unlock(person_limits(user))
    audit.record(AuditEvent.Action.PASSWORD_RESET, ip=ip, user=user, identifier=user.phone or "", channel=channel)
