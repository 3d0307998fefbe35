"""Kind `balances`: monthly balances as the billing system computed them (formats/balances.md).

A month is known by account (region + number) and month. A row must add up: opening + accrued
− paid = closing, to the kopeck. Billing's months are stored with `MonthBalance.source =
billing` and win over Kabinet's own computation: billing.balances rebuilds (after a payments or
accruals import) keep them and open the next month with their closing. Where billing sent no
month, Kabinet's rule stays; after the merge the accounts whose months changed are rebuilt so
that Kabinet's later months open with billing's closing.
"""

from django.utils import timezone

from kabinet.billing.balances import rebuild_balances_selected
from kabinet.billing.models import MonthBalance
from kabinet.billing.money import to_kopecks
from kabinet.exchange.kinds import Column, Kind, MergeResult, RowError, register
from kabinet.exchange.kinds.common import (
    ACCOUNTS,
    check_number,
    parse_decimal,
    parse_month,
    region_of,
    regions,
    unknown_accounts,
)

BALANCES = MonthBalance._meta.db_table
BILLING = MonthBalance.Source.BILLING.value
SAME_ACCOUNT = "a.region_id = s.region_id AND a.number = s.number"
SAME_MONTH = "b.account_id = a.id AND b.period = s.period"
FIGURES = ("opening", "accrued", "paid", "closing")
FIELDS = {name: MonthBalance._meta.get_field(name) for name in FIGURES}  # rubles: two decimals, 10 digits


@register
class Balances(Kind):
    name = "balances"
    title = "Сальдо по месяцам"
    columns = (
        Column("region"),
        Column("account"),
        Column("month"),
        Column("opening"),
        Column("accrued"),
        Column("paid"),
        Column("closing"),
    )
    stage_columns = (
        ("region_id", "bigint"),
        ("number", "text"),
        ("period", "date"),
        ("opening", "numeric(12, 2)"),
        ("accrued", "numeric(12, 2)"),
        ("paid", "numeric(12, 2)"),
        ("closing", "numeric(12, 2)"),
    )
    stage_indexes = (("region_id", "number", "period"),)

    def row_parser(self):
        known = regions()
        this_month = timezone.localdate().replace(day=1)

        def parse(values):
            code, number, month, *texts = values
            region = region_of(known, code)
            check_number(region, number)
            period = parse_month(month, latest=this_month)
            # Exact (at most two decimals) as kopecks: "1500" is 1500.00, "-0" is 0.00. Only `paid`
            # is never negative: a balance is debt or overpayment, a recalculation may exceed a month.
            opening, accrued, paid, closing = (
                to_kopecks(parse_decimal(name, text, FIELDS[name], negative=name != "paid")) + 0
                for name, text in zip(FIGURES, texts, strict=True)
            )
            if opening + accrued - paid != closing:
                raise RowError(
                    f"сальдо не сходится: opening {opening} + accrued {accrued} − paid {paid} = "
                    f"{opening + accrued - paid}, а closing {closing}"
                )
            return region.pk, number, period.isoformat(), str(opening), str(accrued), str(paid), str(closing)

        return parse

    def check(self, stage):
        t = stage.table
        yield from unknown_accounts(stage)
        yield from (
            (line, f"месяц {str(period)[:7]} счёта {number} уже есть в файле, в строке {first}")
            for line, number, period, first in stage.stream(
                f"""SELECT s.line, s.number, s.period, d.first FROM {t} s
                JOIN (SELECT region_id, number, period, MIN(line) AS first FROM {t}
                      GROUP BY region_id, number, period HAVING COUNT(*) > 1) d
                  ON d.region_id = s.region_id AND d.number = s.number AND d.period = s.period
                WHERE s.line > d.first ORDER BY s.line"""
            )
        )

    def merge(self, stage):
        t = stage.table
        changed = stage.changed([*((f"b.{c}", f"s.{c}") for c in FIGURES), ("b.source", f"'{BILLING}'")])
        # Accounts with a new or changed month: their Kabinet months are rebuilt afterwards.
        # Kept in a TEMP table, not in Python: a branch's file touches a million accounts.
        touched = f"{t}_touched"
        stage.execute(f"DROP TABLE IF EXISTS {touched}")  # set-based: not shown (the import's temp tables)
        stage.execute(  # set-based: not shown (the import's temp tables)
            f"""CREATE TEMP TABLE {touched} AS
            SELECT DISTINCT a.id AS account_id FROM {t} s JOIN {ACCOUNTS} a ON {SAME_ACCOUNT}
            LEFT JOIN {BALANCES} b ON {SAME_MONTH}
            WHERE b.id IS NULL OR {changed}"""
        )
        # A month Kabinet computed becomes billing's (source too): counted as updated.
        # set-based: covered (an import kind's merge: run_import tells core.changes at the commit)
        updated = stage.execute(
            f"""UPDATE {BALANCES} AS b
            SET opening = s.opening, accrued = s.accrued, paid = s.paid, closing = s.closing, source = '{BILLING}'
            FROM {t} s JOIN {ACCOUNTS} a ON {SAME_ACCOUNT}
            WHERE {SAME_MONTH} AND {changed}"""
        )
        # set-based: covered (an import kind's merge: run_import tells core.changes at the commit)
        created = stage.execute(
            f"""INSERT INTO {BALANCES} (account_id, period, opening, accrued, paid, closing, source)
            SELECT a.id, s.period, s.opening, s.accrued, s.paid, s.closing, '{BILLING}'
            FROM {t} s JOIN {ACCOUNTS} a ON {SAME_ACCOUNT}
            WHERE NOT EXISTS (SELECT 1 FROM {BALANCES} b WHERE {SAME_MONTH})
            ON CONFLICT (account_id, period) DO NOTHING"""
        )
        if created > 10_000:
            stage.analyze(BALANCES)
        rebuilt = stage.select(f"SELECT COUNT(*) FROM {touched}")[0][0]
        if rebuilt:
            rebuild_balances_selected(f"SELECT account_id FROM {touched}")
        stage.execute(f"DROP TABLE {touched}")  # set-based: not shown (the import's temp tables)
        notes = [f"расчёт Кабинета обновлён по счетам: {rebuilt}"] if rebuilt else []
        return MergeResult(created=created, updated=updated, notes=notes)
