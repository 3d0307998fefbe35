"""Profile changes (G12): names, e-mail (confirmed by a link), phone (confirmed by SMS),
password, and the personal accounts a customer holds."""

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from kabinet.billing.models import PersonalAccount, Region
from kabinet.core import audit, ratelimit
from kabinet.core.models import AuditEvent
from kabinet.identity import codes
from kabinet.identity.accounts import (
    FieldRejected,
    account_limits,
    check_linkable,
    email_taken,
    email_taken_message,
    phone_taken,
    phone_taken_message,
)
from kabinet.identity.models import AccountLink, User, VerificationCode
from kabinet.notifications.services import send_email

EMAIL_SALT = "kabinet.identity.email-confirm"


def update_names(user: User, first_name: str, last_name: str, ip: str) -> None:
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.save(update_fields=["first_name", "last_name"])
    audit.record(AuditEvent.Action.PROFILE_CHANGED, ip=ip, user=user, fields=["first_name", "last_name"])


def request_email_change(user: User, email: str, region: Region | None, ip: str) -> None:
    """Send a confirmation link to the new address; the e-mail counts only once confirmed."""
    email = email.strip().lower()
    if email_taken(email, exclude=user):
        raise FieldRejected("email", email_taken_message(region))
    token = signing.dumps({"u": user.pk, "e": email}, salt=EMAIL_SALT)
    link = settings.KABINET_PUBLIC_URL + reverse("portal:confirm_email", kwargs={"token": token})
    send_email(
        email,
        "Подтверждение e-mail в личном кабинете",
        "Здравствуйте!\n\nЧтобы подтвердить этот адрес для личного кабинета, откройте ссылку "
        f"(она действует 2 дня):\n{link}\n\nЕсли вы не меняли e-mail, просто проигнорируйте это письмо.",
        secret=True,
    )
    audit.record(AuditEvent.Action.EMAIL_CHANGED, ip=ip, user=user, identifier=email, stage="requested")


def confirm_email(token: str, ip: str) -> User:
    """Apply a confirmed e-mail. Raises FieldRejected when the link is bad, old or the address
    was taken since."""
    try:
        data = signing.loads(token, salt=EMAIL_SALT, max_age=settings.KABINET_EMAIL_CONFIRM_MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        raise FieldRejected(None, "Срок действия ссылки истёк. Укажите e-mail в профиле ещё раз.") from None
    except signing.BadSignature:
        raise FieldRejected(None, "Ссылка недействительна. Укажите e-mail в профиле ещё раз.") from None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None:
        raise FieldRejected(None, "Ссылка недействительна.")
    if email_taken(data["e"], exclude=user):
        raise FieldRejected(None, email_taken_message(None))
    try:
        with transaction.atomic():
            user.email = data["e"]
            user.save(update_fields=["email"])
    except IntegrityError:
        raise FieldRejected(None, email_taken_message(None)) from None
    audit.record(AuditEvent.Action.EMAIL_CHANGED, ip=ip, user=user, identifier=user.email, stage="confirmed")
    return user


def request_phone_change(user: User, phone: str, ip: str) -> VerificationCode:
    """Send a code to the new number; raises FieldRejected or codes.CodeThrottled."""
    if phone == user.phone:
        raise FieldRejected("phone", "Это ваш текущий номер телефона.")
    if phone_taken(phone, exclude=user):
        raise FieldRejected("phone", phone_taken_message())
    return codes.issue_code(VerificationCode.Purpose.PHONE_CHANGE, phone, user=user, ip=ip)


def confirm_phone_change(user: User, token: str, raw_code: str, ip: str) -> codes.Check:
    check = codes.check_code(token, VerificationCode.Purpose.PHONE_CHANGE, raw_code, ip)
    if check.result is not codes.CheckResult.OK:
        return check
    if check.code.user_id != user.pk:
        return codes.Check(codes.CheckResult.CLOSED, None)
    if phone_taken(check.code.phone, exclude=user):
        raise FieldRejected(None, phone_taken_message())
    old = user.phone
    user.phone = check.code.phone
    user.save(update_fields=["phone"])
    audit.record(AuditEvent.Action.PHONE_CHANGED, ip=ip, user=user, identifier=user.phone, previous=old)
    return check


def change_password(user: User, old_password: str, new_password: str, ip: str) -> None:
    """Raises FieldRejected("old_password") on a wrong current password, Locked after too many."""
    limits = [ratelimit.identifier_limit("password", str(user.pk)), ratelimit.ip_limit("password", ip)]
    if until := ratelimit.locked_until(limits):
        raise ratelimit.Locked(until)
    if not user.check_password(old_password):
        if until := ratelimit.register_failure(limits):
            raise ratelimit.Locked(until)
        raise FieldRejected("old_password", "Текущий пароль указан неверно.")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(AuditEvent.Action.PASSWORD_CHANGED, ip=ip, user=user, identifier=user.phone or "")


def add_account(user: User, region: Region, number: str, house: str, ip: str) -> PersonalAccount:
    limits = account_limits(number, ip)
    if until := ratelimit.locked_until(limits):
        raise ratelimit.Locked(until)
    try:
        with transaction.atomic():
            account = check_linkable(region, number, house, user=user)
            AccountLink.objects.create(user=user, account=account)
    except FieldRejected:
        if until := ratelimit.register_failure(limits):
            raise ratelimit.Locked(until) from None
        raise
    except IntegrityError:
        raise FieldRejected("account_number", "Этот лицевой счёт уже зарегистрирован в личном кабинете.") from None
    audit.record(AuditEvent.Action.ACCOUNT_ADDED, ip=ip, user=user, identifier=account.number)
    return account


def remove_account(user: User, link_id: int, ip: str) -> bool:
    """Unlink one of the user's own accounts; another user's link is simply not found."""
    link = AccountLink.objects.select_related("account").filter(pk=link_id, user=user).first()
    if link is None:
        return False
    link.delete()
    audit.record(AuditEvent.Action.ACCOUNT_REMOVED, ip=ip, user=user, identifier=link.account.number)
    return True


def user_accounts(user: User) -> list[AccountLink]:
    return list(AccountLink.objects.filter(user=user).select_related("account__premises", "account__region"))


def user_account(user: User, link_id: int) -> AccountLink | None:
    """One of the user's own account links; another user's is simply not found."""
    return AccountLink.objects.filter(pk=link_id, user=user).select_related("account__premises").first()
