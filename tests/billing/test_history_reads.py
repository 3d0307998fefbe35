"""The history's compiled reads (billing.history) give what the ORM code before them gave: the
same months, accruals and payments, for windows shorter than, equal to and longer than the
account's history, with rows older than the window left out."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from kabinet.billing.balances import rebuild_balances
from kabinet.billing.history import History, Month, _consumption, account_history
from kabinet.billing.models import Accrual, MonthBalance, Payment
from kabinet.billing.periods import add_months, month_start
from tests.factories import accrue

FIRST = date(2026, 3, 1)
MONTHS = 6


@dataclass
class Reference:
    months: list[Month]
    consumption: list
    read: tuple[list, list, list]  # the balances, accruals and payments the ORM read


def orm_history(account, months: int = 24) -> Reference:
    """account_history as it was before its reads were compiled (merge 57fc47c^1): the reference."""
    balances = list(MonthBalance.objects.filter(account=account).order_by("-period")[:months])
    if not balances:
        return Reference([], [], ([], [], []))
    since = balances[-1].period
    read = list(Accrual.objects.filter(account=account, period__gte=since).select_related("service"))
    accruals = defaultdict(list)
    for accrual in read:
        accruals[accrual.period].append(accrual)
    paid = list(Payment.objects.filter(account=account, paid_on__gte=since))
    payments = defaultdict(list)
    for payment in paid:
        payments[month_start(payment.paid_on)].append(payment)
    rows = [Month(b, accruals.get(b.period, []), payments.get(b.period, [])) for b in balances]
    return Reference(rows, _consumption(accruals), (balances, read, paid))


def fields(row) -> tuple:
    return tuple(getattr(row, f.attname) for f in row._meta.concrete_fields)


def shown(history: History | Reference) -> list:
    """Every row of every month, by value, in the order the page shows them."""
    return [
        (
            month.balance.period,
            [(a.pk, a.service.code, a.period, a.amount) for a in month.accruals],
            [(p.pk, p.paid_on, p.amount) for p in month.payments],
        )
        for month in history.months
    ]


@pytest.fixture
def long_history(account):
    for n in range(MONTHS):
        period = add_months(FIRST, n)
        accrue(account, period)
        # The first and the last day of each month: a window's edge falls between them.
        last_day = add_months(period, 1) - timedelta(days=1)
        for day, amount in ((period, "100.00"), (last_day, "5.00")):
            Payment.objects.create(account=account, paid_on=day, amount=Decimal(amount), channel="bank")
    rebuild_balances(account)
    assert MonthBalance.objects.filter(account=account).count() == MONTHS
    return account


@pytest.mark.parametrize("months", [1, MONTHS - 1, MONTHS, MONTHS + 5, 24])
def test_compiled_reads_give_the_orm_histories_months(long_history, months):
    expected = orm_history(long_history, months)
    got = account_history(long_history, months)
    assert shown(got) == shown(expected)
    assert len(got.months) == min(months, MONTHS)
    assert got.consumption == expected.consumption
    # The fingerprint's rows are every field of every row read, the accruals' service's too.
    balances, accruals, payments = expected.read
    assert list(got.balances.values) == [fields(b) for b in balances]
    assert list(got.accruals.values) == [fields(a) + fields(a.service) for a in accruals]
    assert list(got.payments.values) == [fields(p) for p in payments]
    assert got.fingerprint() == account_history(long_history, months).fingerprint()


def test_an_account_without_months_has_no_history(account):
    assert shown(account_history(account, 3)) == shown(orm_history(account, 3)) == []
