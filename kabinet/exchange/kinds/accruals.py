"""Kind `accruals`: a month of accruals per personal account (formats/accruals.md).

A file carries whole account-months: for each (account, month) in the file its lines are that
month's accruals, so lines of that account-month missing from the file are deleted and other
months are untouched. Accounts are resolved in SQL (the check fills the staging table's
`account_id`), the merge is delete — insert — update, each one statement, and the balances of
the accounts whose accruals changed are rebuilt afterwards.
"""

import heapq
import re

from django.utils import timezone

from kabinet.billing.balances import rebuild_balances_selected
from kabinet.billing.models import Accrual, Region
from kabinet.billing.periods import month_start
from kabinet.exchange.kinds import Column, Kind, MergeResult, RowError, register
from kabinet.exchange.kinds.common import ACCOUNTS, parse_decimal, parse_month, region_of, regions, service_of, services

ACCRUALS = Accrual._meta.db_table
NONZERO = re.compile(r"[1-9]")
ZONES = {"": "", "1": "Т1", "2": "Т2", "3": "Т3"}
REASON_LIMIT = Accrual._meta.get_field("recalculation_reason").max_length
# Same account-month-service-zone: the key of Accrual's unique constraint.
SAME_LINE = "a.account_id = s.account_id AND a.period = s.period AND a.service_id = s.service_id AND a.zone = s.zone"

# Decimal places and digits as the fields have them: volume 3 and 9, tariff 4 and 6, rubles 2 and 10.
FIELDS = {name: Accrual._meta.get_field(name) for name in ("volume", "tariff", "amount", "recalculation")}


@register
class Accruals(Kind):
    name = "accruals"
    title = "Начисления"
    columns = (
        Column("region"),
        Column("account"),
        Column("month"),
        Column("service"),
        Column("zone", required=False),
        Column("volume"),
        Column("tariff"),
        Column("amount"),
        Column("recalculation", required=False),
        Column("recalculation_reason", required=False),
    )
    stage_columns = (
        ("region_id", "bigint"),
        ("number", "text"),
        ("period", "date"),
        ("service_id", "bigint"),
        ("zone", "text"),
        ("volume", "numeric"),
        ("tariff", "numeric"),
        ("amount", "numeric"),
        ("recalculation", "numeric"),
        ("recalculation_reason", "text"),
        ("account_id", "bigint"),  # NULL when staged; set by check() from region and number
    )
    stage_indexes = (("region_id", "number"), ("account_id", "period", "service_id", "zone"))

    def row_parser(self):
        known, service_ids = regions(), services()
        this_month = month_start(timezone.localdate())
        usual = {name: _usual(name).fullmatch for name in FIELDS}
        months: dict[tuple[str, str], str] = {}  # (region, month) → ISO date: checked once a file

        def month_of(code: str, month_text: str, region) -> str:
            period = parse_month(month_text, latest=this_month)
            closed = region.closed_through
            if closed is not None and period <= month_start(closed):
                raise RowError(
                    f"month: «{month_text}» — месяц уже закрыт в биллинге: регион «{region.name}» закрыт "
                    f"по {closed:%Y-%m} включительно, начисления за него не принимаются"
                )
            months[code, month_text] = period.isoformat()
            return months[code, month_text]

        def number(name: str, text: str, *, negative: bool = False) -> str:
            """The usual number in one regex (3 million lines a month: no Decimal); anything else
            through parse_decimal, which says what is wrong ("007.5" is staged as "7.5")."""
            if usual[name](text):
                return text
            return str(parse_decimal(name, text, FIELDS[name], negative=negative))

        # Each a plain call in parse(): 3 million lines × 4 numbers, a function call each adds up.
        usual_volume, usual_tariff, usual_amount, usual_recalculation = (
            usual[name] for name in ("volume", "tariff", "amount", "recalculation")
        )

        def parse(values):
            code, number_text, month_text, service_code, zone_text, volume, tariff, amount, recalc, reason = values
            region = known.get(code) or region_of(known, code)
            if not number_text:
                raise RowError("account: не заполнен номер лицевого счёта")
            period = months.get((code, month_text)) or month_of(code, month_text, region)
            service_id = service_ids.get(service_code) or service_of(service_ids, service_code)
            zone = ZONES.get(zone_text)
            if zone is None:
                raise RowError(f"zone: «{zone_text}» — ожидается пусто, 1, 2 или 3")
            if recalc and usual_recalculation(recalc):
                recalculation = recalc
            else:
                recalculation = number("recalculation", recalc or "0", negative=True)
            nonzero = NONZERO.search(recalculation) is not None
            if nonzero and not reason:
                raise RowError(f"recalculation: «{recalc}» — перерасчёт без основания: заполните recalculation_reason")
            if reason and not nonzero:
                raise RowError("recalculation_reason: основание указано, а перерасчёта нет (recalculation пусто или 0)")
            if len(reason) > REASON_LIMIT:
                raise RowError(f"recalculation_reason: длиннее {REASON_LIMIT} знаков")
            return (region.pk, number_text, period, service_id, zone,
                    volume if usual_volume(volume) else number("volume", volume),
                    tariff if usual_tariff(tariff) else number("tariff", tariff),
                    amount if usual_amount(amount) else number("amount", amount),
                    recalculation, reason, None)  # fmt: skip

        return parse

    def check(self, stage):
        t = stage.table
        # Resolve the accounts once, for the checks below and the merge.
        # One hash join, not an index lookup per line; an unknown account stays NULL.
        if stage.vendor == "postgresql":
            # Into a new table, not by UPDATE: that would leave as many dead rows as lines (3
            # million a month), which every later statement would scan again.
            columns = ", ".join(f"s.{name}" for name, _ in stage.columns if name != "account_id")
            stage.execute(  # set-based: not shown (the import's temp tables)
                f"""CREATE TEMP TABLE {t}_resolved AS SELECT {columns}, a.id AS account_id
                FROM {t} s LEFT JOIN {ACCOUNTS} a ON a.region_id = s.region_id AND a.number = s.number"""
            )
            stage.execute(f"DROP TABLE {t}")  # set-based: not shown (the import's temp tables)
            stage.execute(f"ALTER TABLE {t}_resolved RENAME TO {t}")  # set-based: not shown (the import's temp tables)
        else:
            stage.execute(  # set-based: not shown (the import's temp tables)
                f"""UPDATE {t} SET account_id = a.id FROM {ACCOUNTS} a
                WHERE a.region_id = {t}.region_id AND a.number = {t}.number"""
            )
        stage.analyze(t)  # the statistics of finish() saw account_id all NULL: the merge would nest loops
        names = dict(Region.objects.values_list("pk", "name"))
        unknown = (
            (line, f"лицевой счёт {number} не найден в регионе «{names.get(region_id, region_id)}»")
            for line, region_id, number in stage.stream(
                f"SELECT line, region_id, number FROM {t} WHERE account_id IS NULL ORDER BY line"
            )
        )
        # The same account, month, service and zone twice: both lines are wrong.
        duplicates = (
            (line, f"начисление по тому же счёту, месяцу, услуге и зоне повторяется в строках {_sorted(lines)}")
            for line, lines in stage.stream(
                f"""SELECT s.line, d.lines FROM {t} s
                JOIN (SELECT region_id, number, period, service_id, zone, {_lines(stage)} AS lines
                      FROM {t} GROUP BY region_id, number, period, service_id, zone HAVING COUNT(*) > 1) d
                  ON d.region_id = s.region_id AND d.number = s.number AND d.period = s.period
                 AND d.service_id = s.service_id AND d.zone = s.zone
                ORDER BY s.line"""
            )
        )
        return heapq.merge(unknown, duplicates)

    def merge(self, stage):
        t = stage.table
        changed = stage.changed(
            [(f"a.{c}", f"s.{c}") for c in ("volume", "tariff", "amount", "recalculation", "recalculation_reason")]
        )
        # The account-months of the file that differ from the stored ones, found in one pass:
        # the file's lines fully joined with the stored lines of its account-months. A line on
        # one side only, or changed, marks its account-month; the writes below touch only those.
        # A re-run of an unchanged month (3 million lines) then compares each line once, not in
        # each of the delete, the update and the insert.
        months, in_file = f"{t}_months", f"{t}_in_file"
        stage.execute(f"DROP TABLE IF EXISTS {months}")  # set-based: not shown (the import's temp tables)
        stage.execute(f"DROP TABLE IF EXISTS {in_file}")  # set-based: not shown (the import's temp tables)
        # set-based: not shown (the import's temp tables)
        stage.execute(f"CREATE TEMP TABLE {in_file} AS SELECT DISTINCT account_id, period FROM {t}")
        stage.index(in_file, ("account_id", "period"))
        stage.analyze(in_file)
        stored = f"""(SELECT a.* FROM {ACCRUALS} a WHERE EXISTS
                      (SELECT 1 FROM {in_file} f WHERE f.account_id = a.account_id AND f.period = a.period))"""
        # Declared column types, not CREATE … AS: on SQLite a COALESCE column has no type, and
        # comparing it with the staging table's typed columns cannot use the index below.
        # set-based: not shown (the import's temp tables)
        stage.execute(f"CREATE TEMP TABLE {months} (account_id bigint, period date)")
        stage.execute(  # set-based: not shown (the import's temp tables)
            f"""INSERT INTO {months} (account_id, period)
            SELECT DISTINCT COALESCE(s.account_id, a.account_id), COALESCE(s.period, a.period)
            FROM {t} s FULL JOIN {stored} a ON {SAME_LINE}
            WHERE s.line IS NULL OR a.id IS NULL OR {changed}"""
        )
        stage.execute(f"DROP TABLE {in_file}")  # set-based: not shown (the import's temp tables)
        stage.index(months, ("account_id", "period"))
        stage.analyze(months)
        in_months = f"""EXISTS (SELECT 1 FROM {months} m
            WHERE m.account_id = {{0}}.account_id AND m.period = {{0}}.period)"""
        # set-based: covered (an import kind's merge: run_import tells core.changes at the commit)
        deleted = stage.execute(
            f"""DELETE FROM {ACCRUALS} AS a WHERE {in_months.format("a")}
            AND NOT EXISTS (SELECT 1 FROM {t} s WHERE {SAME_LINE})"""
        )
        # Changed lines first: on a new month the table has none of the file's lines, so the
        # join is cheap, and the lines inserted next need no comparing.
        # set-based: covered (an import kind's merge: run_import tells core.changes at the commit)
        updated = stage.execute(
            f"""UPDATE {ACCRUALS} AS a
            SET volume = s.volume, tariff = s.tariff, amount = s.amount, recalculation = s.recalculation,
                recalculation_reason = s.recalculation_reason
            FROM {t} s WHERE {SAME_LINE} AND {changed} AND {in_months.format("s")}"""
        )
        # set-based: covered (an import kind's merge: run_import tells core.changes at the commit)
        created = stage.execute(
            f"""INSERT INTO {ACCRUALS} (account_id, period, service_id, zone, volume, tariff, amount,
                                        recalculation, recalculation_reason)
            SELECT s.account_id, s.period, s.service_id, s.zone, s.volume, s.tariff, s.amount,
                   s.recalculation, s.recalculation_reason
            FROM {t} s WHERE {in_months.format("s")} AND NOT EXISTS (SELECT 1 FROM {ACCRUALS} a WHERE {SAME_LINE})
            ON CONFLICT (account_id, period, service_id, zone) DO NOTHING"""
        )
        if created > 10_000:
            stage.analyze(ACCRUALS)  # the balances below read the new lines
        rebuilt = stage.select(f"SELECT COUNT(DISTINCT account_id) FROM {months}")[0][0]
        if rebuilt:
            # The accounts whose months changed keep the opening balance their history starts
            # with (shared with payments). Kept in a TEMP table: a branch's month touches a million.
            rebuild_balances_selected(f"SELECT account_id FROM {months}")
        stage.execute(f"DROP TABLE {months}")  # set-based: not shown (the import's temp tables)
        notes = []
        if deleted:
            notes.append(f"удалено начислений, которых нет в файле за его месяцы: {deleted}")
        if rebuilt:
            notes.append(f"сальдо пересчитано по счетам: {rebuilt}")
        return MergeResult(created=created, updated=updated, notes=notes)


def _lines(stage) -> str:
    """SQL aggregating a group's line numbers into «3, 7»."""
    if stage.vendor == "postgresql":
        return "string_agg(line::text, ', ' ORDER BY line)"
    return "group_concat(line, ', ')"


def _sorted(lines: str) -> str:
    return ", ".join(sorted(lines.split(", "), key=int))


def _usual(name: str) -> re.Pattern:
    """A number parse_decimal takes as written: no leading zeros, a minus only where allowed."""
    field = FIELDS[name]
    places, digits = field.decimal_places, field.max_digits - field.decimal_places
    sign = "-?" if name == "recalculation" else ""
    return re.compile(rf"{sign}(?:0|[1-9]\d{{0,{digits - 1}}})(?:\.\d{{1,{places}}})?")
