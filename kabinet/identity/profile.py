"""Profile changes (G12): names, e-mail (confirmed by a link), phone (confirmed by SMS),
password, and the personal accounts a customer holds."""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kabinet.billing import bill_delivery
from kabinet.billing.models import PersonalAccount, Region
from kabinet.core import audit, ratelimit
from kabinet.core.compiled import Compiled, Rows, sentinel
from kabinet.core.models import AuditEvent
from kabinet.identity import api_tokens, codes, email_confirmation
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
from kabinet.identity.models import AccountLink, EmailConfirmation, PersonalAccessToken, User, VerificationCode
from kabinet.identity.security_notices import Contacts, notify_security_change
from kabinet.identity.signals import account_removed


def update_names(user: User, first_name: str, last_name: str, ip: str) -> None:
    """Raises FieldRejected when a name breaks the rule of identity.names."""
    user.first_name, user.last_name = checked_names(first_name, last_name)
    user.save(update_fields=["first_name", "last_name"])
    audit.record(AuditEvent.Action.PROFILE_CHANGED, ip=ip, user=user, fields=["first_name", "last_name"])


def request_email_change(user: User, email: str, region: Region | None, ip: str) -> EmailConfirmation:
    """Send a confirmation link to the new address; the e-mail counts only once confirmed.
    Raises FieldRejected, or TooManyRequests past the limits."""
    email = email.strip().lower()
    count_contact_use("email", email, user=user, ip=ip)
    if email == user.email:
        raise FieldRejected("email", "Это ваш текущий e-mail.")
    if email_taken(email, exclude=user):
        raise FieldRejected("email", email_taken_message(region))
    row = email_confirmation.send_link(user, email, ip)
    audit.record(AuditEvent.Action.EMAIL_CHANGED, ip=ip, user=user, identifier=email, stage="requested")
    return row


def resend_email_link(user: User, ip: str) -> EmailConfirmation:
    """«Отправить ссылку ещё раз» for the address awaiting confirmation."""
    return email_confirmation.resend(user, ip)


def pending_email(user: User) -> EmailConfirmation | None:
    """The address awaiting confirmation, shown in the profile with «Отправить ссылку ещё раз»."""
    return email_confirmation.pending(user)


def confirm_email(user: User, token: str, ip: str) -> str:
    """Apply a confirmed e-mail for the signed-in user; raises FieldRejected (see
    identity.email_confirmation.confirm)."""
    return email_confirmation.confirm(user, token, ip)


def request_phone_change(user: User, phone: str, ip: str) -> VerificationCode:
    """Send a code to the new number; raises FieldRejected or codes.CodeThrottled."""
    count_contact_use("phone", phone, user=user, ip=ip)
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
    old = Contacts.of(user)
    user.phone = check.code.phone
    user.save(update_fields=["phone"])
    notify_security_change(user, "phone", old)
    audit.record(AuditEvent.Action.PHONE_CHANGED, ip=ip, user=user, identifier=user.phone, previous=old.phone)
    return check


def change_password(user: User, old_password: str, new_password: str, ip: str) -> None:
    """Raises FieldRejected("old_password") on a wrong current password, Locked after too many."""
    limits = [ratelimit.user_limit("password", user.pk), ratelimit.ip_limit("password", ip)]
    if until := ratelimit.attempt(limits):  # counted before the check: parallel guesses too
        raise ratelimit.Locked(until)
    if not user.check_password(old_password):
        if until := ratelimit.failed(limits):
            raise ratelimit.Locked(until)
        raise FieldRejected("old_password", "Текущий пароль указан неверно.")
    ratelimit.uncount(limits[1:])
    ratelimit.reset(limits[:1])
    user.set_password(new_password)
    user.save(update_fields=["password"])
    notify_security_change(user, "password", Contacts.of(user))
    audit.record(AuditEvent.Action.PASSWORD_CHANGED, ip=ip, user=user, identifier=user.phone or "")


def add_account(user: User, region: Region, number: str, house: str, ip: str) -> PersonalAccount:
    limits = account_limits(number, ip)
    if until := ratelimit.attempt(limits):
        raise ratelimit.Locked(until)
    try:
        with transaction.atomic():
            account = check_linkable(region, number, house, user=user)
            AccountLink.objects.create(user=user, account=account)
    except FieldRejected:
        if until := ratelimit.failed(limits):
            raise ratelimit.Locked(until) from None
        raise
    except IntegrityError:  # another customer linked it a moment before: not a guess
        ratelimit.uncount(limits)
        raise FieldRejected("account_number", "Этот лицевой счёт уже зарегистрирован в личном кабинете.") from None
    ratelimit.uncount(limits)  # not a guess: only failures count
    audit.record(AuditEvent.Action.ACCOUNT_ADDED, ip=ip, user=user, identifier=account.number)
    return account


def remove_account(user: User, link_id: int, ip: str) -> bool:
    """Unlink one of the user's own accounts; another user's link is simply not found. Its bill
    goes on paper again: Kabinet e-mails a bill only to the account's holder; other apps stop
    what they did for the holder (signals.account_removed: payments, the autopayment)."""
    link = AccountLink.objects.select_related("account").filter(pk=link_id, user=user).first()
    if link is None:
        return False
    with transaction.atomic():
        bill_delivery.end_subscription(link.account, bill_delivery.Event.ACCOUNT_REMOVED)
        link.delete()  # set-based: covered (an instance's delete: AccountLink's post_delete bumps)
        account_removed.send(sender=User, user=user, account=link.account)
    audit.record(AuditEvent.Action.ACCOUNT_REMOVED, ip=ip, user=user, identifier=link.account.number)
    return True


def _links(user_id: int) -> QuerySet[AccountLink]:
    return AccountLink.objects.filter(user_id=user_id).select_related("account__premises", "account__region")


# The profile's and «Токены доступа»'s reads, compiled once per process (core.compiled): the ORM
# spent more CPU building them on every view than PostgreSQL spends running them
# (docs/performance.md, step 18).
_LINKS = Compiled(_links, sentinel.integer(0))


def user_accounts(user: User) -> list[AccountLink]:
    """The user's accounts, each with its premises and region, in the order they were linked."""
    return _LINKS.instances(user.pk)


@dataclass(frozen=True)
class ProfileFacts:
    """What «Профиль» says besides the user's own fields and accounts."""

    pending_email: str | None  # the address awaiting confirmation (email_confirmation.pending's)
    token_count: int  # personal access tokens in force (api_tokens.tokens_in_force)


def _fact_columns(user: OuterRef | int, now: datetime) -> dict[str, Subquery | Coalesce]:
    """The facts as two subqueries of `user` (a reference to the outer row, or an id), by the rules
    `pending_email` (email_confirmation's open links, the newest) and `api_tokens.personal_tokens`
    (the tokens in force) apply."""
    pending = (
        email_confirmation.open_links(now)
        .filter(user=user)
        .order_by(*email_confirmation.NEWEST_FIRST)
        .values("address")[:1]
    )
    return {"pending_address": Subquery(pending), "token_count": _token_count(user)}


def _token_count(user: OuterRef | int) -> Coalesce:
    """The number of `user`'s tokens in force (`api_tokens.tokens_in_force`), as a subquery."""
    tokens = api_tokens.tokens_in_force().filter(user=user).order_by().values("user")
    return Coalesce(Subquery(tokens.annotate(n=Count("pk")).values("n")), 0)


def _facts(user_id: int, now: datetime) -> QuerySet[User]:
    return User.objects.filter(pk=user_id).only("pk").annotate(**_fact_columns(OuterRef("pk"), now))


_FACTS = Compiled(_facts, sentinel.integer(0), sentinel.moment(0))


def _facts_of(rows: Rows) -> ProfileFacts:
    return ProfileFacts(rows.annotation("pending_address")[0], rows.annotation("token_count")[0])


def profile_facts(user: User) -> ProfileFacts:
    """The pending e-mail and the number of tokens in one statement (two queries before), by
    the rules `pending_email` and `api_tokens.personal_tokens` apply."""
    rows = _FACTS.rows(user.pk, timezone.now())
    if not rows:  # the user deleted meanwhile: nothing pending, nothing in force
        return ProfileFacts(None, 0)
    return _facts_of(rows)


# What «Профиль» shows of each account (profile_page's rows): its number and status, its address
# and its region's name. The other columns (a region's 22) cost converting and instances for nothing.
_SHOWN = (
    "account__number",
    "account__status",
    "account__premises__city",
    "account__premises__street",
    "account__premises__house",
    "account__premises__flat",
    "account__region__name",
)


def _accounts_and_facts(user_id: int, now: datetime) -> QuerySet[AccountLink]:
    # The facts' subqueries take the id, not the outer row: PostgreSQL runs each once (an
    # InitPlan), not once per account.
    return _links(user_id).only(*_SHOWN).annotate(**_fact_columns(user_id, now))


_ACCOUNTS_AND_FACTS = Compiled(_accounts_and_facts, sentinel.integer(0), sentinel.moment(0))


def profile_reads(user: User) -> tuple[list[AccountLink], ProfileFacts]:
    """«Профиль»'s accounts (`user_accounts`, with the fields it shows) and its facts
    (`profile_facts`): one statement for a customer who holds an account, the facts being columns
    of every account's row; two for one who holds none (docs/performance.md, step 22)."""
    rows = _ACCOUNTS_AND_FACTS.rows(user.pk, timezone.now())
    if not rows:
        return [], profile_facts(user)
    return rows.instances(), _facts_of(rows)


def _accounts_and_token_count(user_id: int) -> QuerySet[AccountLink]:
    # The count's subquery takes the id, not the outer row: PostgreSQL runs it once (an InitPlan).
    return _links(user_id).annotate(token_count=_token_count(user_id))


_ACCOUNTS_AND_TOKEN_COUNT = Compiled(_accounts_and_token_count, sentinel.integer(0))


def tokens_page_reads(user: User) -> tuple[list[AccountLink], list[PersonalAccessToken]]:
    """«Токены доступа»'s accounts (`user_accounts`) and tokens (`api_tokens.personal_token_list`):
    one statement for a customer who holds an account and no token in force, the count of tokens
    being a column of every account's row; the tokens are read only when there are some, or when
    there is no account's row to carry the count (docs/performance.md, step 25)."""
    rows = _ACCOUNTS_AND_TOKEN_COUNT.rows(user.pk)
    links = rows.instances()
    if links and not rows.annotation("token_count")[0]:
        return links, []
    return links, api_tokens.personal_token_list(user)


def user_account(user: User, link_id: int) -> AccountLink | None:
    """One of the user's own account links; another user's is simply not found."""
    return AccountLink.objects.filter(pk=link_id, user=user).select_related("account__premises").first()
