"""An online payment or refund as an entry in the account's payments (billing.Payment), once.

The entry's key is billing's own: (channel `online`, source_id = ЮKassa's id). Billing's
payment file may bring the same payment back, before or after Kabinet saw it succeed; whoever
comes second finds the entry by that key and adds nothing."""

from datetime import date, datetime
from decimal import Decimal
import logging
import time

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kabinet.billing.balances import MONTH_BALANCES_LOCK, rebuild_balances_of
from kabinet.billing.models import Payment, PersonalAccount
from kabinet.payments.errors import BalancesBusy

logger = logging.getLogger(__name__)
ONLINE = Payment.Channel.ONLINE
# How long a success waits for an import's rebuild of the month balances (which may take
# minutes) while it holds the payment's row and, often, a request: then it gives up for now.
LOCK_WAIT = 3.0
LOCK_POLL = 0.1


def entry(account: PersonalAccount, source_id: str, amount: Decimal, on: date) -> tuple[Payment | None, dict]:
    """The account's payment with this acquirer id: billing's, if its file came first, or a
    new one; then the account's month balances are rebuilt. Call inside the transaction that
    marks the payment or refund succeeded. An entry found by the key that is not this payment
    (another account, amount or sign) is not linked: (None, what differs), logged as an error.
    BalancesBusy when an import holds the month balances longer than LOCK_WAIT."""
    # The same lock as the imports of accruals and payments: a rebuild here never races theirs,
    # and an import that brings this very payment has committed (or not begun) once we hold it.
    lock_month_balances_briefly()
    found = Payment.objects.filter(channel=ONLINE, source_id=source_id).first()
    if found is None:
        found = Payment.objects.create(account=account, paid_on=on, amount=amount, channel=ONLINE, source_id=source_id)
        rebuild_balances_of([account.pk])
        return found, {}
    if found.account_id != account.pk or found.amount != amount:
        mismatch = {
            "entry": found.pk,
            "entry_account": found.account_id,
            "entry_amount": str(found.amount),
            "account": account.pk,
            "amount": str(amount),
        }
        logger.error("billing's online payment %s is not Kabinet's: %s", source_id, mismatch)
        return None, mismatch
    return found, {}


def lock_month_balances_briefly() -> None:
    """billing.balances.lock_month_balances with a bound: try for LOCK_WAIT seconds, then
    BalancesBusy (the transaction is rolled back by the caller; nothing waits on it)."""
    if connection.vendor != "postgresql":
        return  # SQLite serialises writers by itself
    deadline = time.monotonic() + LOCK_WAIT
    with connection.cursor() as cursor:
        while True:
            # set-based: not a write (a lock)
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [MONTH_BALANCES_LOCK])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() >= deadline:
                raise BalancesBusy(detail="the month balances are being rebuilt by an import")
            time.sleep(LOCK_POLL)


def local_date(stamp: str | None) -> date:
    """The day (in the company's time zone) of an acquirer's ISO-8601 time; today without one."""
    moment: datetime | None = parse_datetime(stamp) if stamp else None
    return timezone.localdate(moment or timezone.now())
