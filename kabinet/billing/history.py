"""An account's months: balance, accruals by service, payments; and consumption per month.
Three queries whatever the length of the history; the model instances only when asked for."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache
import hashlib

from django.db.models import Subquery
from django.db.models.functions import Coalesce

from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount
from kabinet.billing.periods import month_start
from kabinet.core.compiled import Compiled, Rows, RowsDigest, sentinel


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


class History:
    """An account's months, newest first, kept as the three reads' rows (core.compiled.Rows).

    `fingerprint` digests the rows as they are; the model instances are made on the first use of
    `months` or `consumption`, and `latest` makes only the newest balance. A page whose history
    comes from the cache (portal.fragments) so makes one instance instead of some two hundred:
    making them was a fifth of the page's CPU, and the fingerprint over their fields an eighth."""

    def __init__(self, balances: Rows, accruals: Rows, payments: Rows) -> None:
        self.balances = balances  # newest first
        self.accruals = accruals  # with their service's columns (select_related)
        self.payments = payments

    @cached_property
    def latest(self) -> MonthBalance | None:
        first = self.balances[:1].instances()
        return first[0] if first else None

    @cached_property
    def months(self) -> list[Month]:
        if self.latest is None:
            return []
        payments = defaultdict(list)
        for payment in self.payments.instances():
            payments[month_start(payment.paid_on)].append(payment)
        accruals = self._accruals
        balances = [self.latest, *self.balances[1:].instances()]
        return [Month(b, accruals.get(b.period, []), payments.get(b.period, [])) for b in balances]

    @cached_property
    def consumption(self) -> list[tuple[date, str, Decimal]]:
        """(month, unit, volume) of the main metered service, oldest first."""
        return _consumption(self._accruals)

    @cached_property
    def _accruals(self) -> dict[date, list[Accrual]]:
        by_period = defaultdict(list)
        for accrual in self.accruals.instances():
            by_period[accrual.period].append(accrual)
        return by_period

    @property
    def open_period(self) -> date | None:
        """The month shown open: the latest with accruals. The current month often holds only a
        payment until it is billed, around the 1st of the next, and would open on «начислено 0»."""
        billed = [month.period for month in self.months if month.accruals]
        if billed:
            return billed[0]
        return self.months[0].period if self.months else None

    def fingerprint(self) -> str:
        """A digest of every column of every row the history was read from (balances, accruals
        with their service's columns, payments), as the ORM's converters left them: equal for
        equal data, different after any change an import, a payment or an edit makes to them.
        What a cache of anything drawn from the history is keyed by, so that no writer has to
        remember to invalidate it. Taken from the rows, not the instances: it makes none."""
        rows = (self.balances.values, self.accruals.values, self.payments.values)
        return hashlib.sha256(repr(rows).encode()).hexdigest()


def account_history(account: PersonalAccount, months: int = 24) -> History:
    balances_of, accruals_of, payments_of = _reads(months)
    balances = balances_of.rows(account.pk)
    if not balances:
        return History(balances, Rows(), Rows())
    return History(balances, accruals_of.rows(account.pk), payments_of.rows(account.pk))


def history_digest_column(account_id: int, months: int = 24) -> RowsDigest:
    """A digest of every column of every row `account_history` would read of the account
    `account_id`, as sensitive to any change as `History.fingerprint` (not equal to it), as a
    column of a statement about that account (payments.cards reads it with the account's card):
    no history row is read. NULL where the database does not compute it (SQLite), and then
    `fingerprint` is the digest. In a compiled build `account_id` is the build's sentinel."""
    return RowsDigest([(read, (account_id,)) for read in _reads(months)])


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


def _consumption(accruals: dict[date, list[Accrual]]) -> list[tuple[date, str, Decimal]]:
    """Volumes of electricity (all zones together) per month: what the customer controls."""
    series = []
    for period in sorted(accruals):
        volumes = [a for a in accruals[period] if a.service.code == "electricity"]
        if volumes:
            series.append((period, volumes[0].service.unit, sum((a.volume for a in volumes), Decimal(0))))
    return series
