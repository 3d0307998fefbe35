"""What the customer's account cards show of online payments, for all the cards of a page at
once: one query for the payments in progress, one for the autopayments, however many accounts
(a query per card made the home page grow with every account added)."""

from collections.abc import Iterable

from kabinet.billing.models import PersonalAccount
from kabinet.payments.autopay_models import AutoPayment
from kabinet.payments.models import OnlinePayment


def in_progress_by_account(accounts: Iterable[PersonalAccount]) -> dict[int, list[OnlinePayment]]:
    """Each account's payments not final yet («Платёж в обработке»), oldest first; every account
    given is a key."""
    found: dict[int, list[OnlinePayment]] = {account.pk: [] for account in accounts}
    payments = (
        OnlinePayment.objects.filter(account__in=list(found))
        .exclude(status__in=OnlinePayment.FINAL)
        .order_by("created_at", "pk")
    )
    for payment in payments:
        found[payment.account_id].append(payment)
    return found


def autopayments_by_account(accounts: Iterable[PersonalAccount], user) -> dict[int, AutoPayment | None]:
    """Each account's latest autopayment that `user` set up (being set up or working, else the
    last one stopped), or None. Only the user's own: another holder of the same account sees
    neither its card nor its terms."""
    found: dict[int, AutoPayment | None] = {account.pk: None for account in accounts}
    autopayments = (
        AutoPayment.objects.filter(account__in=list(found), user=user)
        .select_related("setup_payment")
        .order_by("-created_at", "-pk")
    )
    for autopayment in autopayments:
        if found[autopayment.account_id] is None:
            found[autopayment.account_id] = autopayment
    return found
