"""Balances of personal accounts: computed from accruals and payments, month by month."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple
import zlib

from django.db import connection, transaction
from django.db.models import F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Sum

from kabinet.billing import balances_sql
from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount, Region
from kabinet.billing.money import closing_balance, to_kopecks
from kabinet.billing.periods import month_start, next_month, previous_month
from kabinet.core.bulk import insert_rows
from kabinet.core.changes import accounts_changed

ZERO = Decimal("0.00")


def due_date(period: date, region: Region) -> date:
    """Accruals for a month are due on the region's day of the following month."""
    following = next_month(period)
    return following.replace(day=min(region.payment_due_day, 28))


BILLING = MonthBalance.Source.BILLING
KABINET = MonthBalance.Source.KABINET

# The transaction-level advisory lock of everything that rebuilds `billing_monthbalance` from
# accruals and payments: the imports of accruals, payments and balances (exchange.runner) and an
# online payment's entry (payments.ledger). Two rebuilds at once would each miss the other's
# uncommitted rows and overwrite with stale figures. The key is the one exchange used before the
# lock moved here (exchange.locks.key("billing-monthbalance")), so mixed versions still agree.
MONTH_BALANCES_LOCK = zlib.crc32(b"exchange:billing-monthbalance")


def lock_month_balances() -> None:
    """Wait for the month balances' lock, held until the transaction ends (PostgreSQL; SQLite
    serialises writers by itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MONTH_BALANCES_LOCK])  # set-based: not a write (a lock)


@transaction.atomic
def rebuild_balances(account: PersonalAccount, opening: Decimal = ZERO) -> list[MonthBalance]:
    """Recompute every month from the first accrual or payment: closing = opening + accrued −
    paid, each month opening with the previous closing. Safe to re-run. A month the billing
    system sent (source `billing`) is kept as it is and the next month opens with its closing.
    The months written."""
    accrued = {
        row["period"]: row["total"]
        for row in Accrual.objects.filter(account=account)
        .values("period")
        .annotate(total=Sum("amount") + Sum("recalculation"))
    }
    paid: dict[date, Decimal] = {}
    for payment in Payment.objects.filter(account=account).only("paid_on", "amount"):
        period = month_start(payment.paid_on)
        paid[period] = paid.get(period, ZERO) + payment.amount
    if not accrued and not paid:
        return []
    fixed = _billing_months(MonthBalance.objects.filter(account=account, source=BILLING))
    accounts_changed([account.pk])  # bulk_create and this delete send no signal a reader hears
    # set-based: covered (a rebuild of month balances: it tells core.changes)
    MonthBalance.objects.filter(account=account, source=KABINET).delete()
    rows = [row for row in month_balances(accrued, paid, opening, fixed) if row.period not in fixed]
    # set-based: covered (a rebuild of month balances: it tells core.changes)
    return MonthBalance.objects.bulk_create([MonthBalance(account=account, **row._asdict()) for row in rows])


def _billing_months(balances) -> dict[date, "MonthRow"]:
    return {
        b.period: MonthRow(b.period, b.opening, b.accrued, b.paid, b.closing)
        for b in balances.only("period", "opening", "accrued", "paid", "closing")
    }


@transaction.atomic
def rebuild_balances_of(account_ids: Iterable[int], batch: int | None = None) -> int:
    """`rebuild_balances` for many accounts (an import's touched ones), a few queries per
    `batch` of them: each account keeps the opening of its earliest month (0 without one), so
    a month balance computed here equals `rebuild_balances(account, opening)`. Month rows
    written. On PostgreSQL the same rows come from set-based SQL (`balances_sql`), `batch`
    accounts (default 200 000) a statement."""
    ids = list(account_ids)
    accounts_changed(ids)  # the rows are written in SQL: no signal
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            balances_sql.create_id_table(cursor)
            balances_sql.add_ids(cursor, ids)
            return balances_sql.rebuild(cursor, batch)
    written, batch = 0, batch or 1000
    for start in range(0, len(ids), batch):
        written += _rebuild_batch(ids[start : start + batch])
    return written


@transaction.atomic
def rebuild_balances_selected(select_ids: str, batch: int | None = None) -> int:
    """`rebuild_balances_of` the accounts that a SELECT of one column `account_id` returns
    (an import's temp table of touched accounts, say), without bringing the ids into Python on
    PostgreSQL: a branch-sized import touches a million accounts."""
    if connection.vendor == "postgresql":
        accounts_changed()  # the ids stay in the database: any account may have changed
        with connection.cursor() as cursor:
            balances_sql.create_id_table(cursor)
            balances_sql.add_selected(cursor, select_ids)
            return balances_sql.rebuild(cursor, batch)
    with connection.cursor() as cursor:
        cursor.execute(select_ids)  # set-based: not a write (the caller's SELECT of ids)
        ids = sorted({row[0] for row in cursor.fetchall()})
    return rebuild_balances_of(ids, batch)


def _rebuild_batch(ids: list[int]) -> int:
    first = MonthBalance.objects.filter(account=OuterRef("account")).order_by("period").values("period")[:1]
    openings = dict(
        MonthBalance.objects.filter(account_id__in=ids, period=Subquery(first)).values_list("account_id", "opening")
    )
    accrued: dict[int, dict[date, Decimal]] = {}
    for row in (
        Accrual.objects.filter(account_id__in=ids)
        .values("account_id", "period")
        .annotate(total=Sum("amount") + Sum("recalculation"))
    ):
        accrued.setdefault(row["account_id"], {})[row["period"]] = row["total"]
    paid: dict[int, dict[date, Decimal]] = {}
    for account_id, paid_on, amount in Payment.objects.filter(account_id__in=ids).values_list(
        "account_id", "paid_on", "amount"
    ):
        months = paid.setdefault(account_id, {})
        period = month_start(paid_on)
        months[period] = months.get(period, ZERO) + amount
    rebuilt = [i for i in ids if i in accrued or i in paid]
    fixed: dict[int, dict[date, MonthRow]] = {}
    for b in MonthBalance.objects.filter(account_id__in=rebuilt, source=BILLING):
        fixed.setdefault(b.account_id, {})[b.period] = MonthRow(b.period, b.opening, b.accrued, b.paid, b.closing)
    # set-based: covered (a rebuild of month balances: it tells core.changes)
    MonthBalance.objects.filter(account_id__in=rebuilt, source=KABINET).delete()
    rows = [
        (i, *row, KABINET.value)
        for i in rebuilt
        for row in month_balances(accrued.get(i, {}), paid.get(i, {}), openings.get(i, ZERO), fixed.get(i, {}))
        if row.period not in fixed.get(i, {})
    ]
    # Plain rows, not bulk_create: model instances cost more than the rest of the rebuild.
    # set-based: covered (a rebuild of month balances: it tells core.changes)
    insert_rows(MonthBalance, ("account", *MonthRow._fields, "source"), rows)
    return len(rows)


class MonthRow(NamedTuple):
    period: date
    opening: Decimal
    accrued: Decimal
    paid: Decimal
    closing: Decimal


def month_balances(
    accrued: dict[date, Decimal],
    paid: dict[date, Decimal],
    opening: Decimal = ZERO,
    fixed: dict[date, MonthRow] | None = None,
) -> list[MonthRow]:
    """Every month from the first with an accrual or a payment to the last, as plain rows and
    without a query, so a bulk load (the demo) computes them as `rebuild_balances` does.
    `fixed`: months the billing system computed, returned as they are; the month after one
    opens with its closing."""
    fixed = fixed or {}
    if not accrued and not paid and not fixed:
        return []
    months = [*accrued, *paid, *fixed]
    period, last = min(months), max(months)
    rows = []
    balance = to_kopecks(opening)
    while period <= last:
        if period in fixed:
            rows.append(fixed[period])
            balance, period = fixed[period].closing, next_month(period)
            continue
        month_accrued, month_paid = to_kopecks(accrued.get(period, ZERO)), to_kopecks(paid.get(period, ZERO))
        closing = closing_balance(balance, month_accrued, month_paid)
        rows.append(MonthRow(period, balance, month_accrued, month_paid, closing))
        balance, period = closing, next_month(period)
    return rows


@dataclass(frozen=True)
class AccountSummary:
    """What the home card says about an account."""

    account: PersonalAccount
    balance: Decimal | None  # debt positive, overpayment negative; None without history
    as_of: date | None  # the date the balance is as of
    due: date | None
    last_payment: Payment | None
    today: date

    @property
    def to_pay(self) -> Decimal:
        return max(self.balance or ZERO, ZERO)

    @property
    def overdue(self) -> bool:
        return bool(self.to_pay and self.due and self.due < self.today)

    @property
    def overpaid(self) -> Decimal:
        return max(-(self.balance or ZERO), ZERO)


def _billed_period(balance: MonthBalance) -> date:
    """The month of the latest bill: a month that so far has only payments is not billed yet."""
    if balance.accrued:
        return balance.period
    return previous_month(balance.period)


class LatestBill(NamedTuple):
    period: date  # the month of the latest bill
    owed: Decimal  # what is owed now, as the home card's «К оплате» (never negative)


def latest_bill(account: PersonalAccount) -> LatestBill | None:
    """The latest bill's month and the amount owed now, payments since the bill counted: what an
    autopayment pays in full. None without any history."""
    balance = MonthBalance.objects.filter(account=account).order_by("-period").first()
    if balance is None:
        return None
    return LatestBill(_billed_period(balance), max(balance.closing, ZERO))


def summaries(accounts: list[PersonalAccount], today: date) -> list[AccountSummary]:
    """One summary per account in two queries, however long the history."""
    ids = [account.pk for account in accounts]
    last_period = MonthBalance.objects.filter(account=OuterRef("account")).order_by("-period").values("period")[:1]
    balances = {b.account_id: b for b in MonthBalance.objects.filter(account_id__in=ids, period=Subquery(last_period))}
    last_paid = Payment.objects.filter(account=OuterRef("account")).order_by("-paid_on", "-pk").values("pk")[:1]
    payments = {p.account_id: p for p in Payment.objects.filter(account_id__in=ids, pk=Subquery(last_paid))}
    return [_summary(account, balances.get(account.pk), payments.get(account.pk), today) for account in accounts]


# What `summaries_of` reads of the latest month balance and payment, as columns of the accounts.
_LATEST_BALANCE = ("period", "closing", "accrued")
_LAST_PAYMENT = ("pk", "paid_on", "amount", "channel", "source_id")


def summaries_of(accounts: QuerySet[PersonalAccount], today: date) -> list[AccountSummary]:
    """`summaries` of a query's accounts, in that one query: the latest month balance and the
    last payment come as its columns (correlated subqueries on the (account, period) and
    (account, paid_on) indexes). The API's account list, asked every few seconds by home
    automation, made three queries of it (bench/api.py)."""
    return summaries_from(with_summary_columns(accounts), today)


def with_summary_columns(accounts: QuerySet[PersonalAccount]) -> QuerySet[PersonalAccount]:
    """The accounts with the columns `summaries_from` reads: `summaries_of` in two halves, so
    that the query can be compiled once (core.compiled) and its rows still summed up here."""
    latest = MonthBalance.objects.filter(account=OuterRef("pk")).order_by("-period").values("pk")[:1]
    last_paid = Payment.objects.filter(account=OuterRef("pk")).order_by("-paid_on", "-pk").values("pk")[:1]
    # Joined by the id one subquery finds, not a subquery per column: two index probes an
    # account instead of eight (docs/performance.md, step 8).
    rows = {
        "summary_balance": FilteredRelation("balances", condition=Q(balances__pk=Subquery(latest))),
        "summary_payment": FilteredRelation("payments", condition=Q(payments__pk=Subquery(last_paid))),
    }
    columns = {f"summary_balance_{f}": F(f"summary_balance__{f}") for f in _LATEST_BALANCE}
    columns |= {f"summary_payment_{f}": F(f"summary_payment__{f}") for f in _LAST_PAYMENT}
    return accounts.annotate(**rows).annotate(**columns)


def summaries_from(accounts: Iterable[PersonalAccount], today: date) -> list[AccountSummary]:
    """The summaries of accounts read through `with_summary_columns`."""
    result = []
    for account in accounts:
        balance = payment = None
        if account.summary_balance_period is not None:
            balance = MonthBalance(account=account, **_columns(account, "summary_balance_", _LATEST_BALANCE))
        if account.summary_payment_pk is not None:
            payment = Payment(account=account, **_columns(account, "summary_payment_", _LAST_PAYMENT))
        result.append(_summary(account, balance, payment, today))
    return result


def _columns(account: PersonalAccount, prefix: str, fields: tuple[str, ...]) -> dict:
    # SQLite hands a subquery's decimal back unrounded (1536.18000000000): money is kopecks.
    values = {field: getattr(account, prefix + field) for field in fields}
    return {field: to_kopecks(v) if isinstance(v, Decimal) else v for field, v in values.items()}


def _summary(
    account: PersonalAccount, balance: MonthBalance | None, payment: Payment | None, today: date
) -> AccountSummary:
    # The balance counts every accrual and payment recorded, so it holds today whatever the
    # month of the last of them: one account with a payment this month and another whose
    # last entry is October's bill are both as of today, not one of them as of November 1.
    as_of = today if balance else None
    due = due_date(_billed_period(balance), account.region) if balance else None
    return AccountSummary(account, balance.closing if balance else None, as_of, due, payment, today)
