"""Kind `readings`: meter readings that billing took from other channels — by phone, by an
inspector, from a smart meter (formats/readings.md).

A reading is known by its id at billing (exchange.BillingReading): sent again as it was, it
is counted once; with other values it is an error. A reading never edits another: a reading
for a month in which the meter already has one is added as the newer one and the older one
is marked replaced (`Reading.replaced_by`), as a customer's second submission in the same
window is (readings.services), so «История показаний» shows both.
"""

from datetime import UTC, date, datetime
import re

from django.db import connection
from django.utils import timezone

from kabinet.billing.models import PersonalAccount
from kabinet.exchange.kinds import Column, Kind, MergeResult, RowError, register
from kabinet.exchange.kinds.common import (
    ACCOUNTS,
    parse_month,
    region_of,
    regions,
    service_of,
    services,
    unknown_accounts,
)
from kabinet.exchange.models import BillingReading
from kabinet.readings.models import Meter, Reading

METERS = Meter._meta.db_table
READINGS = Reading._meta.db_table
LINKS = BillingReading._meta.db_table
NUMBER_LIMIT = PersonalAccount._meta.get_field("number").max_length
SERIAL_LIMIT = Meter._meta.get_field("serial").max_length
ID_LIMIT = BillingReading._meta.get_field("source_id").max_length
# Billing's codes of the channels and what Kabinet records (and the history page shows).
SOURCES = {
    "phone": Reading.Source.PHONE,
    "inspector": Reading.Source.INSPECTOR,
    "smart": Reading.Source.SMART_METER,
}
SOURCE_LIST = ", ".join(SOURCES)
VALUE = re.compile(r"\d{1,9}")  # a reading is a 32-bit integer; meters have at most 9 digits
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?")
# The staged row's meter, resolved in SQL.
METER_OF = f"""JOIN {ACCOUNTS} a ON a.region_id = s.region_id AND a.number = s.account
    JOIN {METERS} m ON m.account_id = a.id AND m.service_id = s.service_id AND m.serial = s.serial"""


@register
class Readings(Kind):
    name = "readings"
    title = "Показания из биллинга"
    columns = (
        Column("region"),
        Column("account"),
        Column("service"),
        Column("serial"),
        Column("month"),
        Column("t1"),
        Column("t2", required=False),
        Column("t3", required=False),
        Column("source"),
        Column("taken_at"),
        Column("reading_id"),
    )
    changes_accounts = False  # no card shows meters or readings
    stage_columns = (
        ("region_id", "bigint"),
        ("account", "text"),
        ("service_id", "bigint"),
        ("serial", "text"),
        ("period", "date"),
        ("t1", "bigint"),
        ("t2", "bigint"),
        ("t3", "bigint"),
        ("width", "integer"),  # digits of the longest value, against the meter's capacity
        ("source", "text"),
        ("taken_at", "timestamptz"),
        ("source_id", "text"),
    )
    stage_indexes = (("region_id", "account", "service_id", "serial", "period"), ("source_id",))

    def row_parser(self):
        known, service_ids = regions(), services()
        now = timezone.now()
        this_month = timezone.localdate().replace(day=1)
        postgres = connection.vendor == "postgresql"

        def parse(values):
            code, account, service, serial, month, t1, t2, t3, source, taken_at, source_id = values
            region_id = region_of(known, code).pk
            if not account or len(account) > NUMBER_LIMIT:
                raise RowError(f"account: «{account}» — не номер лицевого счёта")
            service_id = service_of(service_ids, service)
            if not serial or len(serial) > SERIAL_LIMIT:
                raise RowError(f"serial: заводской номер пуст или длиннее {SERIAL_LIMIT} знаков")
            period = parse_month(month, latest=this_month)
            if not t1:
                raise RowError("t1: не заполнено показание")
            readings = [_value(name, text) for name, text in (("t1", t1), ("t2", t2), ("t3", t3))]
            if t3 and not t2:
                raise RowError(f"t3: «{t3}» — заполнено, а t2 нет")
            if source not in SOURCES:
                raise RowError(f"source: «{source}» — ожидается одно из: {SOURCE_LIST}")
            moment = _moment(taken_at)
            if moment > now:
                raise RowError(f"taken_at: «{taken_at}» — время ещё не наступило")
            if not source_id:
                raise RowError("reading_id: не заполнен номер показания в биллинге")
            if len(source_id) > ID_LIMIT:
                raise RowError(f"reading_id: длиннее {ID_LIMIT} знаков")
            width = max(len(str(value)) for value in readings if value is not None)
            # Django's own storage of a moment: UTC, with the offset on PostgreSQL, naive text on SQLite.
            utc = moment.astimezone(UTC).replace(microsecond=0)
            stored = utc.isoformat(sep=" ") if postgres else utc.replace(tzinfo=None).isoformat(sep=" ")
            return (region_id, account, service_id, serial, period.isoformat(), *readings, width,
                    SOURCES[source].value, stored, source_id)  # fmt: skip

        return parse

    def check(self, stage):
        t = stage.table
        problems = []
        problems += unknown_accounts(stage, "account")
        problems += [
            (line, f"у счёта {account} нет прибора № {serial} по этой услуге")
            for line, account, serial in stage.stream(
                f"""SELECT s.line, s.account, s.serial FROM {t} s
                JOIN {ACCOUNTS} a ON a.region_id = s.region_id AND a.number = s.account
                WHERE NOT EXISTS (SELECT 1 FROM {METERS} m WHERE m.account_id = a.id
                                  AND m.service_id = s.service_id AND m.serial = s.serial)"""
            )
        ]
        problems += [
            (line, f"у прибора № {serial} тарифных зон: {zones} — заполните {_zones(zones)}, прочие оставьте пустыми")
            for line, serial, zones in stage.stream(
                f"""SELECT s.line, s.serial, m.zones FROM {t} s {METER_OF}
                WHERE (m.zones >= 2 AND s.t2 IS NULL) OR (m.zones < 2 AND s.t2 IS NOT NULL)
                   OR (m.zones = 3 AND s.t3 IS NULL) OR (m.zones < 3 AND s.t3 IS NOT NULL)"""
            )
        ]
        problems += [
            (line, f"показание больше разрядности прибора № {serial}: на табло {digits} цифр")
            for line, serial, digits in stage.stream(
                f"SELECT s.line, s.serial, m.digits FROM {t} s {METER_OF} WHERE s.width > m.digits"
            )
        ]
        same = ("region_id", "account", "service_id", "serial", "period", "t1", "t2", "t3", "source", "taken_at")
        # The same reading twice in the file is counted once; the same id with other data is not.
        problems += [
            (line, f"показание {source_id} уже есть в файле, в строке {first}, с другими данными")
            for line, source_id, first in stage.stream(
                f"""SELECT s.line, s.source_id, f.line FROM {t} s
                JOIN (SELECT source_id, MIN(line) AS first FROM {t}
                      GROUP BY source_id HAVING COUNT(*) > 1) d ON d.source_id = s.source_id
                JOIN {t} f ON f.line = d.first
                WHERE s.line > f.line AND {stage.changed([(f"s.{c}", f"f.{c}") for c in same])}"""
            )
        ]
        problems += [
            (
                line,
                f"показание прибора № {serial} за {date.fromisoformat(str(period)):%m.%Y} уже есть в файле, "
                f"в строке {other} (номер {other_id}): за месяц — одно показание в файле",
            )
            for line, serial, period, other, other_id in stage.stream(
                f"""SELECT s.line, s.serial, s.period, o.line, o.source_id
                FROM (SELECT s.line, MIN(o.line) AS other FROM {t} s
                      JOIN {t} o ON o.region_id = s.region_id AND o.account = s.account
                       AND o.service_id = s.service_id AND o.serial = s.serial AND o.period = s.period
                       AND o.source_id <> s.source_id AND o.line < s.line
                      GROUP BY s.line) d
                JOIN {t} s ON s.line = d.line
                JOIN {t} o ON o.line = d.other"""
            )
        ]
        # A reading already loaded comes again only as it was: billing corrects by a new reading.
        loaded = [
            ("a.region_id", "s.region_id"),
            ("a.number", "s.account"),
            ("m.service_id", "s.service_id"),
            ("m.serial", "s.serial"),
            ("r.period", "s.period"),
            ("r.t1", "s.t1"),
            ("r.t2", "s.t2"),
            ("r.t3", "s.t3"),
            ("r.source", "s.source"),
            ("r.taken_at", "s.taken_at"),
        ]
        problems += [
            (
                line,
                f"показание {source_id} уже загружено: счёт {number}, прибор № {serial}, "
                f"{date.fromisoformat(str(period)):%m.%Y} — в файле другие данные",
            )
            for line, source_id, number, serial, period in stage.stream(
                f"""SELECT s.line, s.source_id, a.number, m.serial, r.period FROM {t} s
                JOIN {LINKS} l ON l.source_id = s.source_id
                JOIN {READINGS} r ON r.id = l.reading_id
                JOIN {METERS} m ON m.id = r.meter_id
                JOIN {ACCOUNTS} a ON a.id = m.account_id
                WHERE {stage.changed(loaded)}"""
            )
        ]
        problems.sort(key=lambda problem: problem[0])
        return problems

    def merge(self, stage):
        t = stage.table
        # Not a subquery correlated on each row: without an index on the staging table (there
        # is none on PostgreSQL) that scans the file once per row.
        first_of_each_id = f"SELECT MIN(line) FROM {t} GROUP BY source_id"
        new = f"""FROM {t} s {METER_OF}
            WHERE s.line IN ({first_of_each_id})
              AND NOT EXISTS (SELECT 1 FROM {LINKS} l WHERE l.source_id = s.source_id)"""
        before = stage.select(f"SELECT COALESCE(MAX(id), 0) FROM {READINGS}")[0][0]
        created = stage.execute(  # set-based: not shown (readings)
            f"""INSERT INTO {READINGS} (meter_id, period, t1, t2, t3, source, taken_at, submitted_by_id,
                                        replaced_by_id, wrapped, unusual_confirmed)
            SELECT m.id, s.period, s.t1, s.t2, s.t3, s.source, s.taken_at, NULL, NULL, FALSE, FALSE {new}"""
        )
        if not created:
            return MergeResult(created=0, updated=0)
        # One new reading per meter and month (the checks refuse two in a file): found by them.
        stage.execute(  # set-based: not shown (readings)
            f"""INSERT INTO {LINKS} (source_id, reading_id)
            SELECT s.source_id, r.id FROM {t} s {METER_OF}
            JOIN {READINGS} r ON r.meter_id = m.id AND r.period = s.period AND r.source = s.source AND r.id > %s
            WHERE s.line IN ({first_of_each_id})
              AND NOT EXISTS (SELECT 1 FROM {LINKS} l WHERE l.source_id = s.source_id)""",
            [before],
        )
        if created > 10_000:
            stage.analyze(READINGS, LINKS)
        # The month's current reading (the latest not replaced, as readings.selectors.sent_in_window
        # picks it) is replaced by the new one; the history keeps both.
        fresh = f"SELECT l.reading_id FROM {LINKS} l WHERE l.reading_id > %s"
        replaced = stage.execute(  # set-based: not shown (readings)
            f"""UPDATE {READINGS} SET replaced_by_id = (
                SELECT n.id FROM {READINGS} n WHERE n.meter_id = {READINGS}.meter_id
                   AND n.period = {READINGS}.period AND n.id IN ({fresh}))
            WHERE id <= %s AND replaced_by_id IS NULL
              AND id = (SELECT o.id FROM {READINGS} o
                        WHERE o.meter_id = {READINGS}.meter_id AND o.period = {READINGS}.period
                          AND o.replaced_by_id IS NULL AND o.id <= %s
                        ORDER BY o.taken_at DESC, o.id DESC LIMIT 1)
              AND EXISTS (SELECT 1 FROM {READINGS} n WHERE n.meter_id = {READINGS}.meter_id
                             AND n.period = {READINGS}.period AND n.id IN ({fresh}))""",
            [before, before, before, before],
        )
        notes = [f"прежних показаний за те же месяцы заменено: {replaced} (в истории остаются)"] if replaced else []
        return MergeResult(created=created, updated=0, notes=notes)


def _value(name: str, text: str) -> int | None:
    if not text:
        return None
    if VALUE.fullmatch(text):
        return int(text)
    raise RowError(f"{name}: «{text}» — ожидается целое неотрицательное число, не больше 9 цифр")


def _moment(text: str) -> datetime:
    """An ISO date and time; without an offset it is Kabinet's local time."""
    try:
        if MOMENT.fullmatch(text):
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    except ValueError:
        pass
    raise RowError(f"taken_at: «{text}» — ожидается дата и время ГГГГ-ММ-ДДTЧЧ:ММ[:СС][±ЧЧ:ММ]")


def _zones(zones: int) -> str:
    return {1: "t1", 2: "t1 и t2", 3: "t1, t2 и t3"}[zones]
