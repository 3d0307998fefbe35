"""How an account's bill is delivered — on paper, or «Электронная квитанция» to its holder's
confirmed e-mail — and the log of its changes that billing is sent (BillDeliveryChange,
formats/contacts-export.md).

A change is recorded by the service that makes it, in the same transaction: subscribing and
unsubscribing (bill_jobs), a subscribed customer's new e-mail and an account removed from the
cabinet (identity), an operator's edit of a user's e-mail or blocking in /admin/ (user_edited).
What bypasses every service — deleting a user (their links and subscriptions go with them),
deleting or re-pointing an account's link — is caught by delivery_signals. Each writer locks
the user's row before the account's, so two changes of one account are never recorded out of
order: the later one has the larger id. A row is written only when the delivery billing was
last told changes (an account never reported is on paper there)."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction

from kabinet.billing.models import BillDeliveryChange, BillSubscription, PersonalAccount

Delivery, Event = BillDeliveryChange.Delivery, BillDeliveryChange.Event


def locked_email(user) -> str:
    """The user's e-mail as committed, the user's row locked until the transaction ends: an
    e-mail being confirmed at the same moment is either seen or waits for this change."""
    return get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("email", flat=True).get()


def lock_user(user_id: int) -> None:
    get_user_model().objects.select_for_update().filter(pk=user_id).exists()


def lock_account(account: PersonalAccount) -> None:
    PersonalAccount.objects.select_for_update().filter(pk=account.pk).exists()


def reported(account: PersonalAccount) -> tuple[str, str]:
    """(delivery, e-mail) as billing was last told; paper for an account never reported."""
    latest = BillDeliveryChange.objects.filter(account=account).order_by("-pk").values_list("delivery", "email")
    return latest.first() or (Delivery.PAPER, "")


def record(account: PersonalAccount, email: str, event: str) -> BillDeliveryChange | None:
    """The account's delivery from now on: to `email`, or on paper when it is empty; None (no
    row) when billing already has exactly that. The caller holds the account's row."""
    delivery = Delivery.EMAIL if email else Delivery.PAPER
    if reported(account) == (delivery, email):
        return None
    return BillDeliveryChange.objects.create(account=account, delivery=delivery, email=email, event=event)


def end_subscription(account: PersonalAccount, event: str = Event.UNSUBSCRIBED, *, user=None) -> bool:
    """The account's bill goes on paper again (only if subscribed by `user`, when given); False
    if there was no such subscription."""
    with transaction.atomic():
        lock_account(account)
        subscriptions = BillSubscription.objects.filter(account=account)
        if user is not None:
            subscriptions = subscriptions.filter(user=user)
        if not subscriptions.exists():
            return False
        # Recorded first: the delete's signal (delivery_signals) then finds paper reported.
        record(account, "", event)
        subscriptions.delete()  # set-based: not shown (paper or e-mail delivery of bills)
    return True


def delivered_to(user):
    """The subscriptions whose bill Kabinet e-mails to `user`: those of accounts the user still
    holds. One left behind on an account now held by someone else (old data) is not: the bill
    is not e-mailed (bill_jobs.send_electronic_bills), the seed skipped it (migration 0009), and
    the user's address is not billing's business for that account."""
    return BillSubscription.objects.filter(user=user, user__is_active=True, account__link__user=user)


def email_changed(user) -> int:
    """Record the new e-mail of `user` (saved in the caller's transaction, which holds the
    user's row) for each account whose bill goes to it; how many."""
    with transaction.atomic():
        ids = delivered_to(user).values_list("account_id", flat=True)
        accounts = list(PersonalAccount.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk"))
        # Read again under the locks: one unsubscribed meanwhile is on paper, not re-subscribed.
        still = set(delivered_to(user).filter(account__in=accounts).values_list("account_id", flat=True))
        changed = [account for account in accounts if account.pk in still]
        for account in changed:
            record(account, user.email, Event.EMAIL_CHANGED)
    return len(changed)


def user_blocked(user) -> int:
    """A blocked user gets no bill by e-mail (send_electronic_bills skips them): each of their
    subscriptions ends, on paper from now on; how many. Unblocking brings none back — the
    customer turns «Электронная квитанция» on again, giving consent anew."""
    with transaction.atomic():
        lock_user(user.pk)
        accounts = PersonalAccount.objects.filter(bill_subscription__user=user).order_by("pk")
        return sum(end_subscription(account, Event.USER_BLOCKED, user=user) for account in accounts)


def user_edited(user, changed: Iterable[str]) -> None:
    """An operator saved `user` in /admin/ (in the admin's transaction, after the save),
    `changed` naming the fields edited: blocking ends the subscriptions, a new e-mail is where
    the bills go now (typed by the operator, not confirmed by a link — the operator's word)."""
    if "is_active" in changed and not user.is_active:
        user_blocked(user)
    elif "email" in changed:
        email_changed(user)


def account_left(account_id: int, user_id: int) -> bool:
    """The link of the account to the user is deleted or re-pointed (delivery_signals): the
    bill is e-mailed to nobody now, so the subscription ends (`account_removed`)."""
    with transaction.atomic():
        lock_user(user_id)
        return end_subscription(PersonalAccount.objects.get(pk=account_id), Event.ACCOUNT_REMOVED)


def subscription_deleted(subscription: BillSubscription) -> None:
    """A subscription deleted other than by end_subscription — with its user (CASCADE): paper
    from now on, unless billing already has paper (end_subscription recorded it first, or the
    subscription was never reported)."""
    with transaction.atomic():
        lock_user(subscription.user_id)
        lock_account(subscription.account)
        record(subscription.account, "", Event.ACCOUNT_REMOVED)
