"""Registration (G4–G7): check against the registry, confirm the phone by SMS, create the user.
The e-mail, if given, is the user's only once its link is opened (identity.email_confirmation)."""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction

from kabinet.billing.models import PersonalAccount, Region
from kabinet.core import audit, ratelimit
from kabinet.core.compiled import Compiled
from kabinet.core.models import AuditEvent
from kabinet.identity import codes, email_confirmation
from kabinet.identity.accounts import (
    FieldRejected,
    account_limits,
    check_linkable,
    checked_names,
    count_contact_use,
    email_taken,
    email_taken_message,
    phone_taken,
    phone_taken_message,
)
from kabinet.identity.models import AccountLink, ConsentAcceptance, ConsentDocument, User, VerificationCode

PURPOSE = VerificationCode.Purpose.REGISTER


@dataclass(frozen=True)
class RegistrationData:
    region: Region
    account_number: str
    house: str
    phone: str  # E.164
    email: str
    password: str
    first_name: str = ""
    last_name: str = ""


def current_consent() -> ConsentDocument:
    """The consent in force: the latest published (`ConsentDocument.objects.latest()`, compiled:
    the registration form and the consent page show it to every visitor)."""
    found = _LATEST_CONSENT.instances()
    if not found:
        raise ConsentDocument.DoesNotExist("no consent document is published")
    return found[0]


_LATEST_CONSENT = Compiled(lambda: ConsentDocument.objects.order_by(f"-{ConsentDocument._meta.get_latest_by}")[:1])


def _check_contacts(data: RegistrationData, ip: str) -> None:
    # Counted before the answer: this is where the form tells whether a contact is taken.
    count_contact_use("phone", data.phone, user=None, ip=ip)
    if data.email:
        count_contact_use("email", data.email, user=None, ip=ip)
    if phone_taken(data.phone):
        raise FieldRejected("phone", phone_taken_message())
    if data.email and email_taken(data.email):
        raise FieldRejected("email", email_taken_message(data.region))


def start_registration(data: RegistrationData, ip: str) -> VerificationCode:
    """Check everything, then send the code. Raises FieldRejected, Locked, RegistryUnavailable
    or codes.CodeThrottled."""
    limits = account_limits(data.account_number, ip)
    if until := ratelimit.attempt(limits):
        raise ratelimit.Locked(until)
    try:
        account = check_linkable(data.region, data.account_number, data.house)
    except FieldRejected:
        if until := ratelimit.failed(limits):
            raise ratelimit.Locked(until) from None
        raise
    ratelimit.uncount(limits)
    first_name, last_name = checked_names(data.first_name, data.last_name)
    _check_contacts(data, ip)
    payload = {
        "account_id": account.pk,
        "region_id": data.region.pk,
        "email": data.email.lower(),
        "first_name": first_name,
        "last_name": last_name,
        # Only the hash waits in the database while the customer reads the SMS.
        "password_hash": make_password(data.password),
        "consent_id": current_consent().pk,
    }
    code = codes.issue_code(PURPOSE, data.phone, payload=payload, ip=ip)
    audit.record(AuditEvent.Action.CODE_SENT, ip=ip, identifier=data.phone, purpose=PURPOSE)
    return code


def _create_user(code: VerificationCode, ip: str) -> User:
    payload = code.payload
    account = PersonalAccount.objects.select_for_update().get(pk=payload["account_id"])
    # Someone may have registered the account, phone or e-mail while this code was pending.
    if AccountLink.objects.filter(account=account).exists() or not account.is_active:
        raise FieldRejected("account_number", "Этот лицевой счёт уже зарегистрирован в личном кабинете.")
    if phone_taken(code.phone):
        raise FieldRejected("phone", phone_taken_message())
    if payload["email"] and email_taken(payload["email"]):
        raise FieldRejected("email", email_taken_message(account.region))
    user = User(
        phone=code.phone,
        first_name=payload["first_name"],
        last_name=payload["last_name"],
        password=payload["password_hash"],
    )
    user.save()
    AccountLink.objects.create(user=user, account=account)
    ConsentAcceptance.objects.create(user=user, document_id=payload["consent_id"], ip=ip)
    if payload["email"]:
        email_confirmation.send_link(user, payload["email"], ip, at_registration=True)
    audit.record(AuditEvent.Action.REGISTERED, ip=ip, user=user, identifier=code.phone, account=account.number)
    return user


def complete_registration(token: str, raw_code: str, ip: str) -> tuple[codes.Check, User | None]:
    """Check the code; on success create the user with the account linked (raises FieldRejected
    if the account, phone or e-mail was taken meanwhile)."""
    check = codes.check_code(token, PURPOSE, raw_code, ip)
    if check.result is not codes.CheckResult.OK:
        return check, None
    try:
        with transaction.atomic():
            return check, _create_user(check.code, ip)
    except IntegrityError:
        raise FieldRejected(None, "Эти данные только что зарегистрированы другим пользователем.") from None
