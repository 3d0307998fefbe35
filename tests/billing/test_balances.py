"""billing.balances: what the home card says about an account."""

from datetime import date
from decimal import Decimal

from kabinet.billing.balances import rebuild_balances, summaries, summaries_of
from kabinet.billing.models import Payment, PersonalAccount
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


def test_summaries_of_a_query_equal_summaries_in_one_query(sverdlovsk, django_assert_num_queries):
    """The API's list reads the latest balance and payment as columns of the accounts' query:
    the same cards as `summaries` (billed and paid, billed only, paid only, nothing)."""
    today = date(2026, 11, 29)
    both, billed, paid, _empty = (make_account(sverdlovsk, f"66010000000{n}", house=str(n)) for n in range(1, 5))
    for account in (both, billed):
        accrue(account, date(2026, 9, 1))
        accrue(account, date(2026, 10, 1))
    for account, day in ((both, 7), (both, 9), (both, 9), (paid, 3)):  # two the same day: the later row wins
        Payment.objects.create(account=account, paid_on=date(2026, 10, day), amount=Decimal("100.00"), channel="bank")
    for account in (both, billed, paid):
        rebuild_balances(account)
    accounts = PersonalAccount.objects.select_related("region", "premises").order_by("number")
    with django_assert_num_queries(1):
        cards = summaries_of(accounts, today)
    expected = summaries(list(accounts), today)

    def seen(card):
        payment = card.last_payment
        paid = payment and (payment.pk, payment.paid_on, payment.amount, payment.get_channel_display())
        return card.account.pk, card.balance, card.as_of, card.due, card.overdue, paid

    assert [seen(card) for card in cards] == [seen(card) for card in expected]
    assert cards[0].last_payment.paid_on == date(2026, 10, 9) and cards[3].balance is None
    assert cards[0].last_payment.pk == Payment.objects.filter(account=both).latest("pk").pk


def _months(account):
    return list(
        account.balances.order_by("period").values_list("period", "opening", "accrued", "paid", "closing", "source")
    )


def test_rebuild_of_many_accounts_equals_rebuild_of_each(sverdlovsk):
    """`rebuild_balances_of` (set-based SQL on PostgreSQL, batches in Python elsewhere) writes
    the very rows `rebuild_balances(account, opening)` writes: months with no entry in between,
    payments only, recalculations, billing's months kept with the next month opening with their
    closing, each account keeping the opening of its earliest month; a missing month is added,
    a wrong one corrected and one outside the history removed."""
    from kabinet.billing.models import MonthBalance

    gaps, paid_only, with_billing, empty = (
        make_account(sverdlovsk, f"66010000000{n}", house=str(n)) for n in range(1, 5)
    )
    accrue(gaps, date(2026, 3, 1))
    accrue(gaps, date(2026, 6, 1), recalculation="-200.00", reason="Перерасчёт")
    for day, amount in ((date(2026, 3, 20), "100.10"), (date(2026, 3, 31), "0.05"), (date(2026, 8, 2), "5000.00")):
        Payment.objects.create(account=gaps, paid_on=day, amount=Decimal(amount), channel="bank")
    Payment.objects.create(account=paid_only, paid_on=date(2026, 2, 14), amount=Decimal("70.00"), channel="post")
    for month in (1, 2, 4):
        accrue(with_billing, date(2026, month, 1))
    Payment.objects.create(account=with_billing, paid_on=date(2026, 5, 5), amount=Decimal("10.00"), channel="bank")
    for account, opening in ((gaps, "123.45"), (paid_only, "-7.00"), (with_billing, "300.00")):
        rebuild_balances(account, opening=Decimal(opening))
    MonthBalance.objects.filter(account=with_billing, period=date(2026, 2, 1)).update(
        source=MonthBalance.Source.BILLING, opening=Decimal("1.00"), closing=Decimal("999.99")
    )
    expected = {}
    for account, opening in ((gaps, "123.45"), (paid_only, "-7.00"), (with_billing, "300.00")):
        rebuild_balances(account, opening=Decimal(opening))
        expected[account.pk] = _months(account)
    MonthBalance.objects.filter(source=MonthBalance.Source.KABINET, account=gaps, period=date(2026, 5, 1)).delete()
    MonthBalance.objects.filter(source=MonthBalance.Source.KABINET, account=paid_only).update(closing=Decimal(0))
    zero = {name: Decimal(0) for name in ("opening", "accrued", "paid", "closing")}
    MonthBalance.objects.create(account=with_billing, period=date(2027, 1, 1), **zero)  # after the last entry: goes

    from kabinet.billing.balances import rebuild_balances_of

    written = rebuild_balances_of([gaps.pk, paid_only.pk, with_billing.pk, empty.pk], batch=2)

    assert {account.pk: _months(account) for account in (gaps, paid_only, with_billing)} == expected
    assert _months(empty) == []
    assert written == sum(len(rows) for rows in expected.values()) - 1  # billing's month is not written
    assert [row[0] for row in expected[gaps.pk]] == [date(2026, month, 1) for month in range(3, 9)]
    assert expected[with_billing.pk][2][1] == Decimal("999.99")  # March opens with billing's closing


def test_the_month_balances_lock_is_the_one_imports_took_before_it_moved_here():
    """billing.balances.lock_month_balances (imports and online payments) keeps exchange's key."""
    from kabinet.billing.balances import MONTH_BALANCES_LOCK
    from kabinet.exchange import locks

    assert locks.key(locks.MONTH_BALANCES) == MONTH_BALANCES_LOCK
