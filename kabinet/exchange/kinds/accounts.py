"""Kind `accounts`: personal accounts and their premises (formats/accounts.md).

Premises are found by region and full address, accounts by region and number. `replaced_by`
may name an account further down the file: new accounts are inserted first, then one UPDATE
sets what changed on every account — replacement included — so the link is resolved in SQL
and a row is counted once: created, updated or unchanged.
"""

from kabinet.billing.models import PersonalAccount, Premises, Region
from kabinet.exchange.kinds import Column, Kind, MergeResult, RowError, register
from kabinet.exchange.kinds.common import ACCOUNTS, check_number, iso, parse_date, region_of, regions

PREMISES = Premises._meta.db_table
STATUSES = {"": PersonalAccount.Status.ACTIVE.value, "active": "active", "closed": "closed"}
ADDRESS = ("city", "street", "house", "flat")
LIMITS = {name: Premises._meta.get_field(name).max_length for name in ADDRESS}


@register
class Accounts(Kind):
    name = "accounts"
    title = "Лицевые счета"
    columns = (
        Column("region"),
        Column("number"),
        Column("city"),
        Column("street"),
        Column("house"),
        Column("flat", required=False),
        Column("status", required=False),
        Column("replaced_by", required=False),
        Column("closed_on", required=False),
    )
    stage_columns = (
        ("region_id", "bigint"),
        ("number", "text"),
        ("city", "text"),
        ("street", "text"),
        ("house", "text"),
        ("flat", "text"),
        ("status", "text"),
        ("replaced_by", "text"),
        ("closed_on", "date"),
    )
    stage_indexes = (("region_id", "number"),)

    def row_parser(self):
        known = regions()

        def parse(values):
            code, number, city, street, house, flat, status_text, replaced_by, closed_on = values
            region = region_of(known, code)
            check_number(region, number, "number")
            if not (city and street and house):
                raise RowError("не заполнены city, street или house")
            for name, value in zip(ADDRESS, (city, street, house, flat), strict=True):
                if len(value) > LIMITS[name]:
                    raise RowError(f"{name}: длиннее {LIMITS[name]} знаков")
            status = STATUSES.get(status_text)
            if status is None:
                raise RowError(f"status: «{status_text}» — ожидается active или closed")
            if replaced_by:
                if status != "closed":
                    raise RowError(f"replaced_by: «{replaced_by}» — указан у действующего счёта (status не closed)")
                if replaced_by == number:
                    raise RowError(f"replaced_by: «{replaced_by}» — счёт не может заменять сам себя")
            closed = iso(parse_date("closed_on", closed_on))
            return region.pk, number, city, street, house, flat, status, replaced_by, closed

        return parse

    def check(self, stage):
        names = dict(Region.objects.values_list("pk", "name"))
        t = stage.table
        yield from (
            (line, f"счёт {number} уже есть в файле, в строке {first}")
            for line, number, first in stage.stream(
                f"""SELECT s.line, s.number, d.first FROM {t} s
                JOIN (SELECT region_id, number, MIN(line) AS first FROM {t}
                      GROUP BY region_id, number HAVING COUNT(*) > 1) d
                  ON d.region_id = s.region_id AND d.number = s.number
                WHERE s.line > d.first ORDER BY s.line"""
            )
        )
        yield from (
            (line, f"replaced_by: счёт {replaced_by} не найден в регионе «{names.get(region_id, region_id)}»")
            for line, region_id, replaced_by in stage.stream(
                f"""SELECT s.line, s.region_id, s.replaced_by FROM {t} s
                WHERE s.replaced_by <> ''
                  AND NOT EXISTS (SELECT 1 FROM {t} n WHERE n.region_id = s.region_id AND n.number = s.replaced_by)
                  AND NOT EXISTS (SELECT 1 FROM {ACCOUNTS} a
                                  WHERE a.region_id = s.region_id AND a.number = s.replaced_by)
                ORDER BY s.line"""
            )
        )

    def merge(self, stage):
        t = stage.table
        same_premises = " AND ".join(f"p.{c} = s.{c}" for c in ("region_id", *ADDRESS))
        # No DISTINCT: ON CONFLICT DO NOTHING skips a repeated address in the file too. In the
        # unique index's order, so its inserts go to neighbouring pages, not all over it.
        key = ", ".join(("region_id", *ADDRESS))
        # set-based: covered (an import kind's merge: run_import tells core.changes at the commit)
        premises = stage.execute(
            f"""INSERT INTO {PREMISES} ({key})
            SELECT {key} FROM {t} s
            WHERE NOT EXISTS (SELECT 1 FROM {PREMISES} p WHERE {same_premises})
            ORDER BY {key}
            ON CONFLICT ({key}) DO NOTHING"""
        )
        # New accounts that name a replacement are linked by the UPDATE below: not "updated".
        new_and_linked = stage.select(
            f"""SELECT COUNT(*) FROM {t} s WHERE s.replaced_by <> ''
            AND NOT EXISTS (SELECT 1 FROM {ACCOUNTS} a WHERE a.region_id = s.region_id AND a.number = s.number)"""
        )[0][0]
        # set-based: covered (an import kind's merge: run_import tells core.changes at the commit)
        created = stage.execute(
            f"""INSERT INTO {ACCOUNTS} (region_id, number, premises_id, status, closed_on, replaced_by_id)
            SELECT s.region_id, s.number, p.id, s.status, s.closed_on, NULL
            FROM {t} s JOIN {PREMISES} p ON {same_premises}
            WHERE NOT EXISTS (SELECT 1 FROM {ACCOUNTS} a WHERE a.region_id = s.region_id AND a.number = s.number)
            ON CONFLICT (region_id, number) DO NOTHING"""
        )
        if premises + created > 10_000:
            stage.analyze(PREMISES, ACCOUNTS)
        # The account's premises by its id (an integer join), not by the file's address: the
        # address is compared, and the premises looked up by address only where it differs.
        moved = stage.changed([(f"p.{c}", f"s.{c}") for c in ("region_id", *ADDRESS)])
        changed = stage.changed(
            [
                *((f"p.{c}", f"s.{c}") for c in ("region_id", *ADDRESS)),
                ("a.status", "s.status"),
                ("a.closed_on", "s.closed_on"),
                ("a.replaced_by_id", "r.id"),
            ]
        )
        # An account that is active again loses its replacement (r.id is NULL: replaced_by is
        # empty for every active row).
        # set-based: covered (an import kind's merge: run_import tells core.changes at the commit)
        touched = stage.execute(
            f"""UPDATE {ACCOUNTS} AS a
            SET premises_id = CASE WHEN {moved}
                                   THEN (SELECT p.id FROM {PREMISES} p WHERE {same_premises})
                                   ELSE a.premises_id END,
                status = s.status, closed_on = s.closed_on, replaced_by_id = r.id
            FROM {t} s
            JOIN {PREMISES} p ON TRUE
            LEFT JOIN {ACCOUNTS} r ON s.replaced_by <> '' AND r.region_id = s.region_id AND r.number = s.replaced_by
            WHERE a.region_id = s.region_id AND a.number = s.number AND p.id = a.premises_id AND {changed}"""
        )
        notes = [f"объектов (адресов) создано {premises}"] if premises else []
        return MergeResult(created=created, updated=touched - new_and_linked, notes=notes)
