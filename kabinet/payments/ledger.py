"""An online payment or refund as an entry in the account's payments (billing.Payment), once.

The entry's key is billing's own: (channel `online`, source_id = ЮKassa's id). Billing's
payment file may bring the same payment back, before or after Kabinet saw it succeed; whoever
comes second finds the entry by that key and adds nothing."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kabinet.billing.balances import lock_month_balances, rebuild_balances_of
from kabinet.billing.models import Payment, PersonalAccount

ONLINE = Payment.Channel.ONLINE


def entry(account: PersonalAccount, source_id: str, amount: Decimal, on: date) -> Payment:
    """The account's payment with this acquirer id: billing's, if its file came first, or a
    new one; then the account's month balances are rebuilt. Call inside the transaction that
    marks the payment or refund succeeded."""
    # The same lock as the imports of accruals and payments: a rebuild here never races theirs,
    # and an import that brings this very payment has committed (or not begun) once we hold it.
    lock_month_balances()
    found = Payment.objects.filter(channel=ONLINE, source_id=source_id).first()
    if found is None:
        found = Payment.objects.create(account=account, paid_on=on, amount=amount, channel=ONLINE, source_id=source_id)
        rebuild_balances_of([account.pk])
    return found


def local_date(stamp: str | None) -> date:
    """The day (in the company's time zone) of an acquirer's ISO-8601 time; today without one."""
    moment: datetime | None = parse_datetime(stamp) if stamp else None
    return timezone.localdate(moment or timezone.now())
