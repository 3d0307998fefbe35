"""How an account's bill is delivered — on paper, or «Электронная квитанция» to its holder's
confirmed e-mail — and the log of its changes that billing is sent (BillDeliveryChange,
formats/contacts-export.md).

A change is recorded by the service that makes it, in the same transaction: subscribing and
unsubscribing (bill_jobs), a subscribed customer's new e-mail and an account removed from the
cabinet (identity). Each writer locks the user's row before the account's, so two changes of
one account are never recorded out of order: the later one has the larger id."""

from django.contrib.auth import get_user_model
from django.db import transaction

from kabinet.billing.models import BillDeliveryChange, BillSubscription, PersonalAccount

Delivery, Event = BillDeliveryChange.Delivery, BillDeliveryChange.Event


def locked_email(user) -> str:
    """The user's e-mail as committed, the user's row locked until the transaction ends: an
    e-mail being confirmed at the same moment is either seen or waits for this change."""
    return get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("email", flat=True).get()


def lock_account(account: PersonalAccount) -> None:
    PersonalAccount.objects.select_for_update().filter(pk=account.pk).exists()


def record(account: PersonalAccount, email: str, event: str) -> BillDeliveryChange:
    """The account's delivery from now on: to `email`, or on paper when it is empty."""
    delivery = Delivery.EMAIL if email else Delivery.PAPER
    return BillDeliveryChange.objects.create(account=account, delivery=delivery, email=email, event=event)


def end_subscription(account: PersonalAccount, event: str = Event.UNSUBSCRIBED) -> bool:
    """The account's bill goes on paper again; False if it already did (nothing recorded)."""
    with transaction.atomic():
        lock_account(account)
        deleted, _ = BillSubscription.objects.filter(account=account).delete()
        if deleted:
            record(account, "", event)
    return bool(deleted)


def delivered_to(user):
    """The subscriptions whose bill Kabinet e-mails to `user`: those of accounts the user still
    holds. One left behind on an account now held by someone else (old data) is not: the bill
    is not e-mailed (bill_jobs.send_electronic_bills), the seed skipped it (migration 0009), and
    the user's address is not billing's business for that account."""
    return BillSubscription.objects.filter(user=user, account__link__user=user)


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
