"""Kind `meters`: the meters of personal accounts (formats/meters.md).

A meter is found by its account (region + number), service and serial. A removed meter (a
`removed_on` date) becomes inactive and keeps its readings: meters are never deleted or moved
to another account, so the account's history stays whole. After the merge an account has at
most one active meter per service; the checks refuse a file that would leave two. As for
accounts, new meters are inserted first and one UPDATE then sets what changed — the link to
the meter that replaced one included, which may come further down the file — so each row is
counted once: created, updated or unchanged.
"""

import heapq
import re

from kabinet.billing.models import PersonalAccount, Service
from kabinet.exchange.kinds import Column, Kind, MergeResult, RowError, register
from kabinet.exchange.kinds.common import (
    ACCOUNTS,
    iso,
    parse_date,
    region_of,
    regions,
    service_of,
    services,
    unknown_accounts,
)
from kabinet.readings.models import Meter

METERS = Meter._meta.db_table
SERIAL_LIMIT = Meter._meta.get_field("serial").max_length
NUMBER_LIMIT = PersonalAccount._meta.get_field("number").max_length
ZONES = range(1, 4)
DIGITS = range(4, 10)  # a reading is a 32-bit integer: at most 9 digits before the point
INTEGER = re.compile(r"\d{1,3}")


@register
class Meters(Kind):
    name = "meters"
    title = "Приборы учёта"
    columns = (
        Column("region"),
        Column("account"),
        Column("service"),
        Column("serial"),
        Column("zones"),
        Column("digits"),
        Column("installed_on"),
        Column("verification_due"),
        Column("removed_on", required=False),
        Column("replaced_by", required=False),
    )
    changes_accounts = False  # no card shows meters or readings
    stage_columns = (
        ("region_id", "bigint"),
        ("account", "text"),
        ("service_id", "bigint"),
        ("serial", "text"),
        ("zones", "integer"),
        ("digits", "integer"),
        ("installed_on", "date"),
        ("verification_due", "date"),
        ("removed_on", "date"),
        ("replaced_by", "text"),
    )
    stage_indexes = (("region_id", "account", "service_id", "serial"),)

    def row_parser(self):
        known, service_ids = regions(), services()

        def parse(values):
            code, account, service, serial, zones, digits, installed, due, removed, replaced_by = values
            region_id = region_of(known, code).pk
            if not account or len(account) > NUMBER_LIMIT:
                raise RowError(f"account: «{account}» — не номер лицевого счёта")
            service_id = service_of(service_ids, service)
            if not serial or len(serial) > SERIAL_LIMIT:
                raise RowError(f"serial: заводской номер пуст или длиннее {SERIAL_LIMIT} знаков")
            zone_count = _integer("zones", zones, ZONES)
            digit_count = _integer("digits", digits, DIGITS)
            installed_on = parse_date("installed_on", installed, required=True)
            verification_due = parse_date("verification_due", due, required=True)
            removed_on = parse_date("removed_on", removed)
            if verification_due < installed_on:
                raise RowError(f"verification_due: «{due}» — дата поверки раньше даты установки {installed}")
            if removed_on is not None and removed_on < installed_on:
                raise RowError(f"removed_on: «{removed}» — дата снятия раньше даты установки {installed}")
            if replaced_by:
                if removed_on is None:
                    raise RowError(f"replaced_by: «{replaced_by}» — указан у неснятого прибора (нет removed_on)")
                if replaced_by == serial:
                    raise RowError(f"replaced_by: «{replaced_by}» — прибор не может заменять сам себя")
            return (
                region_id,
                account,
                service_id,
                serial,
                zone_count,
                digit_count,
                iso(installed_on),
                iso(verification_due),
                iso(removed_on),
                replaced_by,
            )

        return parse

    def check(self, stage):
        services = dict(Service.objects.values_list("pk", "name"))
        t = stage.table
        same_meter = "o.region_id = s.region_id AND o.account = s.account AND o.service_id = s.service_id"
        # Each query in line order, merged: streamed, never the whole list (a file may be all wrong).
        duplicates = (
            (line, f"прибор № {serial} счёта {account} уже есть в файле, в строке {first}")
            for line, serial, account, first in stage.stream(
                f"""SELECT s.line, s.serial, s.account, d.first FROM {t} s
                JOIN (SELECT region_id, account, service_id, serial, MIN(line) AS first FROM {t}
                      GROUP BY region_id, account, service_id, serial HAVING COUNT(*) > 1) d
                  ON d.region_id = s.region_id AND d.account = s.account
                 AND d.service_id = s.service_id AND d.serial = s.serial
                WHERE s.line > d.first ORDER BY s.line"""
            )
        )
        unknown = unknown_accounts(stage, "account")
        replacements = (
            (line, f"replaced_by: прибор № {replaced_by} не найден ни в файле, ни у счёта {account} по этой услуге")
            for line, account, replaced_by in stage.stream(
                f"""SELECT s.line, s.account, s.replaced_by FROM {t} s
                WHERE s.replaced_by <> ''
                  AND NOT EXISTS (SELECT 1 FROM {t} o WHERE {same_meter} AND o.serial = s.replaced_by)
                  AND NOT EXISTS (SELECT 1 FROM {METERS} m JOIN {ACCOUNTS} a ON a.id = m.account_id
                                  WHERE a.region_id = s.region_id AND a.number = s.account
                                    AND m.service_id = s.service_id AND m.serial = s.replaced_by)
                ORDER BY s.line"""
            )
        )
        # At most one active meter per account and service after the merge: two rows without a
        # removal date (each line names the other), or one row and an active meter already on
        # the account that the file does not mention.
        two_active = (
            (
                line,
                f"у счёта {account} по услуге «{services.get(service_id, service_id)}» в файле два действующих "
                f"прибора: № {serial} и № {other} (строка {other_line}); у снятого укажите removed_on",
            )
            # The other line is the first active one of the group, or the second for the first
            # itself: ranked once (window functions), not a subquery per row (quadratic).
            for line, account, service_id, serial, other, other_line in stage.stream(
                f"""WITH active AS (
                    SELECT line, region_id, account, service_id, serial,
                           row_number() OVER (PARTITION BY region_id, account, service_id ORDER BY line) AS rank,
                           COUNT(*) OVER (PARTITION BY region_id, account, service_id) AS active_rows
                    FROM {t} WHERE removed_on IS NULL)
                SELECT s.line, s.account, s.service_id, s.serial, o.serial, o.line FROM active s
                JOIN active o ON {same_meter} AND o.rank = CASE WHEN s.rank = 1 THEN 2 ELSE 1 END
                WHERE s.active_rows > 1 ORDER BY s.line"""
            )
        )
        active_elsewhere = (
            (
                line,
                f"у счёта {account} по услуге «{services.get(service_id, service_id)}» уже действует прибор "
                f"№ {other}, которого нет в файле: добавьте его строку с removed_on",
            )
            for line, account, service_id, other in stage.stream(
                f"""SELECT s.line, s.account, s.service_id, m.serial FROM {t} s
                JOIN {ACCOUNTS} a ON a.region_id = s.region_id AND a.number = s.account
                JOIN {METERS} m ON m.account_id = a.id AND m.service_id = s.service_id
                WHERE s.removed_on IS NULL AND m.is_active AND m.serial <> s.serial
                  AND NOT EXISTS (SELECT 1 FROM {t} o WHERE {same_meter} AND o.serial = m.serial)
                ORDER BY s.line"""
            )
        )
        return heapq.merge(duplicates, unknown, replacements, two_active, active_elsewhere, key=lambda p: p[0])

    def merge(self, stage):
        t = stage.table
        account = "a.region_id = s.region_id AND a.number = s.account"
        known = f"""SELECT 1 FROM {METERS} m
                     WHERE m.account_id = a.id AND m.service_id = s.service_id AND m.serial = s.serial"""
        # New meters that name a replacement are linked by the UPDATE below: not "updated".
        new_and_linked = stage.select(
            f"""SELECT COUNT(*) FROM {t} s JOIN {ACCOUNTS} a ON {account}
            WHERE s.replaced_by <> '' AND NOT EXISTS ({known})"""
        )[0][0]
        created = stage.execute(  # set-based: not shown (meters)
            f"""INSERT INTO {METERS} (account_id, service_id, serial, zones, digits, installed_on,
                                      verification_due, removed_on, is_active, replaced_by_id)
            SELECT a.id, s.service_id, s.serial, s.zones, s.digits, s.installed_on,
                   s.verification_due, s.removed_on, s.removed_on IS NULL, NULL
            FROM {t} s JOIN {ACCOUNTS} a ON {account}
            WHERE NOT EXISTS ({known})"""
        )
        if created:
            # The UPDATE below and the readings' imports join on it: without fresh statistics
            # PostgreSQL takes new meters for none and SQLite picks the one-value service index.
            stage.analyze(METERS)
        changed = stage.changed(
            [
                ("m.zones", "s.zones"),
                ("m.digits", "s.digits"),
                ("m.installed_on", "s.installed_on"),
                ("m.verification_due", "s.verification_due"),
                ("m.removed_on", "s.removed_on"),
                ("m.is_active", "(s.removed_on IS NULL)"),
                ("m.replaced_by_id", "r.id"),
            ]
        )
        touched = stage.execute(  # set-based: not shown (meters)
            f"""UPDATE {METERS} AS m
            SET zones = s.zones, digits = s.digits, installed_on = s.installed_on,
                verification_due = s.verification_due, removed_on = s.removed_on,
                is_active = (s.removed_on IS NULL), replaced_by_id = r.id
            FROM {t} s
            JOIN {ACCOUNTS} a ON {account}
            LEFT JOIN {METERS} r ON s.replaced_by <> '' AND r.account_id = a.id
                                AND r.service_id = s.service_id AND r.serial = s.replaced_by
            WHERE m.account_id = a.id AND m.service_id = s.service_id AND m.serial = s.serial AND {changed}"""
        )
        return MergeResult(created=created, updated=touched - new_and_linked)


def _integer(name: str, text: str, allowed: range) -> int:
    if INTEGER.fullmatch(text) and int(text) in allowed:
        return int(text)
    raise RowError(f"{name}: «{text}» — ожидается целое число от {allowed.start} до {allowed.stop - 1}")
