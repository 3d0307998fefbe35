"""billing.balances: what the home card says about an account."""

from datetime import date
from decimal import Decimal

from kabinet.billing.balances import rebuild_balances, summaries
from kabinet.billing.models import Payment
from tests.factories import accrue, make_account


def test_every_balance_is_as_of_today_whatever_the_month_of_its_last_entry(sverdlovsk):
    """One account paid this month, the other's last entry is October's bill: both balances
    count everything recorded, so both are as of today (not one of them as of November 1)."""
    today = date(2026, 11, 29)
    paid_this_month = make_account(sverdlovsk, "660100000001")
    billed_last_month = make_account(sverdlovsk, "660100000002", house="3")
    for account in (paid_this_month, billed_last_month):
        accrue(account, date(2026, 10, 1))
    Payment.objects.create(account=paid_this_month, paid_on=date(2026, 11, 7), amount=Decimal("500.00"), channel="bank")
    for account in (paid_this_month, billed_last_month):
        rebuild_balances(account)

    cards = summaries([paid_this_month, billed_last_month], today)
    assert [card.as_of for card in cards] == [today, today]
    assert cards[0].balance != cards[1].balance  # the November payment counts in one of them


def test_no_history_no_date(sverdlovsk):
    (card,) = summaries([make_account(sverdlovsk, "660100000001")], date(2026, 11, 29))
    assert (card.balance, card.as_of) == (None, None)
