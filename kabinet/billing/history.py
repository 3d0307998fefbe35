"""An account's months: balance, accruals by service, payments; and consumption per month.
Three queries whatever the length of the history."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
import hashlib

from django.db.models import Model, Subquery
from django.db.models.functions import Coalesce

from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount
from kabinet.billing.periods import month_start
from kabinet.core.compiled import Compiled, sentinel


@dataclass
class Month:
    balance: MonthBalance
    accruals: list[Accrual] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)

    @property
    def period(self) -> date:
        return self.balance.period

    @property
    def recalculations(self) -> list[Accrual]:
        return [a for a in self.accruals if a.recalculation]


@dataclass
class History:
    months: list[Month]  # newest first
    consumption: list[tuple[date, str, Decimal]]  # (month, unit, volume) of the main metered service, oldest first

    @property
    def latest(self) -> MonthBalance | None:
        return self.months[0].balance if self.months else None

    @property
    def open_period(self) -> date | None:
        """The month shown open: the latest with accruals. The current month often holds only a
        payment until it is billed, around the 1st of the next, and would open on «начислено 0»."""
        billed = [month.period for month in self.months if month.accruals]
        if billed:
            return billed[0]
        return self.months[0].period if self.months else None

    def fingerprint(self) -> str:
        """A digest of every field of every row this history holds (balances, accruals with their
        service, payments): equal for equal data, different after any change an import, a payment
        or an edit makes to them. What a cache of anything drawn from the history is keyed by, so
        that no writer has to remember to invalidate it."""
        digest = hashlib.sha256()
        for month in self.months:
            rows = [month.balance, *month.accruals, *(a.service for a in month.accruals), *month.payments]
            digest.update(repr([_values(row) for row in rows]).encode())  # set-based: not a write (a hash's update)
        return digest.hexdigest()


def account_history(account: PersonalAccount, months: int = 24) -> History:
    balances_of, accruals_of, payments_of = _reads(months)
    balances = balances_of.instances(account.pk)
    if not balances:
        return History([], [])
    accruals = defaultdict(list)
    for accrual in accruals_of.instances(account.pk):
        accruals[accrual.period].append(accrual)
    payments = defaultdict(list)
    for payment in payments_of.instances(account.pk):
        payments[month_start(payment.paid_on)].append(payment)
    rows = [Month(b, accruals.get(b.period, []), payments.get(b.period, [])) for b in balances]
    return History(rows, _consumption(accruals))


# The API asks for any number of months: a few numbers kept, the portal's 24 among them.
@lru_cache(maxsize=8)
def _reads(months: int) -> tuple[Compiled, Compiled, Compiled]:
    """The history's three reads, compiled once per process (core.compiled): the latest `months`
    balances, and the accruals and payments from the oldest of them on (`_since`)."""
    any_account = sentinel.integer(0)
    return (
        Compiled(
            lambda account: MonthBalance.objects.filter(account=account).order_by("-period")[:months], any_account
        ),
        Compiled(
            lambda account: Accrual.objects.filter(account=account, period__gte=_since(account, months)).select_related(
                "service"
            ),
            any_account,
        ),
        Compiled(
            lambda account: Payment.objects.filter(account=account, paid_on__gte=_since(account, months)), any_account
        ),
    )


def _since(account: int, months: int) -> Coalesce:
    """The month the history starts: the oldest of the latest `months` balances."""
    periods = MonthBalance.objects.filter(account=account).values("period")
    nth = Subquery(periods.order_by("-period")[months - 1 : months])
    return Coalesce(nth, Subquery(periods.order_by("period")[:1]))


def _values(row: Model) -> tuple:
    return (type(row).__name__, *(getattr(row, f.attname) for f in row._meta.concrete_fields))


def _consumption(accruals: dict[date, list[Accrual]]) -> list[tuple[date, str, Decimal]]:
    """Volumes of electricity (all zones together) per month: what the customer controls."""
    series = []
    for period in sorted(accruals):
        volumes = [a for a in accruals[period] if a.service.code == "electricity"]
        if volumes:
            series.append((period, volumes[0].service.unit, sum((a.volume for a in volumes), Decimal(0))))
    return series
