"""Demo history for `manage.py load_demo`: services and tariffs, and for EVERY account of the
registry an electricity meter with 24 months of readings, accruals (with seasons), payments
(most on time, some debt, some overpayment, a few recalculations), so whoever registers a free
account sees a full cabinet.

Deterministic: each account's history comes from a generator seeded with its number. Idempotent:
an account that already has a meter, an accrual or a payment is left alone, so a database loaded
before this history existed gets it on the next start.

`plan_history` and its helpers produce plain rows (account numbers, service codes, dates,
Decimals: what an exchange file holds) without touching the database. What billing would send
— meters, the inspectors' readings, accruals, payments — kabinet.exchange.demo writes as the
exchange's files and loads through its import, which also computes the month balances;
the readings customers sent through the portal are Kabinet's own, stored here
(`store_portal_readings`)."""

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
import random

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from kabinet.billing.models import Accrual, Payment, PersonalAccount, Region, Service, Tariff
from kabinet.billing.money import charge, to_kopecks
from kabinet.billing.periods import add_months, month_start, next_month
from kabinet.core.bulk import insert_rows
from kabinet.readings.models import Meter, Reading

SEED = 20261125
MONTHS = 24
BATCH = 250  # accounts planned and stored at a time: their meters are looked up in one query
ZERO = Decimal("0.00")

SERVICES = (
    ("electricity", "Электроснабжение", "кВт·ч", 1),
    ("heating", "Отопление", "Гкал", 2),
    ("hot-water", "Горячее водоснабжение", "м³", 3),
)

# (valid from, single rate, (day, night), (peak, night, semi-peak)) in roubles per kWh;
# the shape of the Sverdlovsk region's household tariffs for city flats with gas stoves.
ELECTRICITY = (
    (date(2024, 7, 1), "4.54", ("5.23", "2.63"), ("5.86", "2.63", "4.54")),
    (date(2025, 7, 1), "5.15", ("5.94", "2.99"), ("6.65", "2.99", "5.15")),
    (date(2026, 10, 1), "5.82", ("6.71", "3.38"), ("7.52", "3.38", "5.82")),
)
HEATING = ((date(2024, 7, 1), "2411.73"), (date(2025, 7, 1), "2725.26"), (date(2026, 10, 1), "3079.54"))
HOT_WATER = ((date(2024, 7, 1), "241.90"), (date(2025, 7, 1), "273.35"), (date(2026, 10, 1), "308.89"))


def tariff_rows() -> Iterator[tuple[str, int, date, tuple[Decimal, ...]]]:
    """(service code, zones, valid from, rates): the same in every region."""
    for valid_from, single, two, three in ELECTRICITY:
        for zones, rates in ((1, (single,)), (2, two), (3, three)):
            yield "electricity", zones, valid_from, tuple(map(Decimal, rates))
    for code, prices in (("heating", HEATING), ("hot-water", HOT_WATER)):
        for valid_from, rate in prices:
            yield code, 1, valid_from, (Decimal(rate),)


TARIFFS = tuple(tariff_rows())


@cache  # a few dozen distinct answers asked for 160 000 times
def rates_on(service: str, zones: int, period: date) -> tuple[Decimal, ...]:
    """The rates in force in `period`; the oldest ones for months before the first tariff
    (a closed account's history may start earlier)."""
    rows = sorted((row for row in TARIFFS if row[:2] == (service, zones)), key=lambda row: row[2])
    current = rows[0]
    for row in rows:
        if row[2] <= period:
            current = row
    return current[3]


# --- What an account's history looks like ------------------------------------------------
@dataclass(frozen=True)
class HistorySpec:
    number: str
    zones: int
    base_kwh: int  # a typical month
    heating: bool  # billed for heating and hot water too
    payer: str  # "pays" on time, "debtor" skips payments lately, "overpays" pays ahead
    verification_due: date | None = None  # None: 16 years after installation
    digits: int = 6
    recalculation: bool = False
    installed_days_before: int = 400  # the meter was installed this long before the first month
    closed_on: date | None = None  # a closed account's history ends with its closing month


# The accounts the README describes by their history; every other account gets a generated one.
HISTORIES = (
    HistorySpec("660100012345", 2, 230, True, "overpays", date(2031, 5, 1)),
    HistorySpec("660100054321", 1, 160, True, "debtor", date(2029, 9, 1), recalculation=True),
    HistorySpec("660100011111", 1, 280, False, "pays", date(2026, 6, 1), digits=5),  # verification overdue
    HistorySpec("5900012345", 3, 310, False, "pays", date(2030, 2, 1)),
)
SHOWCASE_HISTORIES = {spec.number: spec for spec in HISTORIES}

SEASON = {1: 1.35, 2: 1.25, 3: 1.1, 4: 0.95, 5: 0.85, 6: 0.75, 7: 0.72, 8: 0.78, 9: 0.9, 10: 1.05, 11: 1.2, 12: 1.4}
HEATING_GCAL = {1: "1.62", 2: "1.44", 3: "1.18", 4: "0.71", 5: "0.12", 10: "0.64", 11: "1.21", 12: "1.55"}
NIGHT_SHARE = {2: (0.68, 0.32), 3: (0.22, 0.33, 0.45)}
RECALCULATION_REASON = "Временное отсутствие потребителя 15 дней (справка с места учёбы)"


def history_spec(number: str, flat: str, closed_on: date | None = None) -> HistorySpec:
    """The README's spec for its accounts; otherwise one drawn from the account's own seed: most
    flats single-rate, a third day/night; central heating in blocks of flats, none in private
    houses (no flat); one payer in ten in debt, one in ten paying ahead."""
    if number in SHOWCASE_HISTORIES:
        return replace(SHOWCASE_HISTORIES[number], closed_on=closed_on)
    rng = random.Random(f"{SEED}:spec:{number}")
    house = not flat
    heating = not house and rng.random() < 0.6
    return HistorySpec(
        number=number,
        zones=rng.choices((1, 2, 3), weights=(55, 35, 10))[0],
        base_kwh=rng.randint(350, 700) if house else rng.randint(110, 320),
        heating=heating,
        payer=rng.choices(("pays", "debtor", "overpays"), weights=(80, 10, 10))[0],
        digits=rng.choice((5, 6, 6, 6)),
        recalculation=heating and rng.random() < 0.03,
        installed_days_before=rng.randrange(30, 3650),
        closed_on=closed_on,
    )


def history_periods(today: date, closed_on: date | None = None) -> list[date]:
    """The 24 months of history, oldest first: the whole months before the current one, or
    for a closed account the months up to the one it was closed in."""
    last = month_start(closed_on) if closed_on else add_months(month_start(today), -1)
    return [add_months(last, offset) for offset in range(1 - MONTHS, 1)]


# --- Plain rows ------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeterRow:
    account: str  # the account's number
    service: str  # a service code
    serial: str
    zones: int
    digits: int
    installed_on: date
    verification_due: date
    removed_on: date | None = None  # a closed account's meter left with it


@dataclass(frozen=True)
class ReadingRow:
    account: str
    serial: str
    period: date
    values: tuple[int, ...]  # T1[, T2[, T3]]
    source: str
    taken_at: datetime


@dataclass(frozen=True)
class AccrualRow:
    account: str
    period: date
    service: str
    zone: str
    volume: Decimal
    tariff: Decimal
    amount: Decimal
    recalculation: Decimal = ZERO
    recalculation_reason: str = ""

    @property
    def total(self) -> Decimal:
        return self.amount + self.recalculation


@dataclass(frozen=True)
class PaymentRow:
    account: str
    paid_on: date
    amount: Decimal
    channel: str


@dataclass
class AccountHistory:
    number: str
    meters: list[MeterRow] = field(default_factory=list)
    readings: list[ReadingRow] = field(default_factory=list)
    accruals: list[AccrualRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)


def _years_later(day: date, years: int) -> date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


def plan_history(spec: HistorySpec, today: date) -> AccountHistory:
    """The account's meter, readings, accruals and payments as plain rows; no query."""
    rng = random.Random(f"{SEED}-{spec.number}")
    periods = history_periods(today, spec.closed_on)
    installed = periods[0] - timedelta(days=spec.installed_days_before)
    meter = MeterRow(
        account=spec.number,
        service="electricity",
        serial=f"{rng.randrange(10**7, 10**8)}",
        zones=spec.zones,
        digits=spec.digits,
        installed_on=installed,
        verification_due=spec.verification_due or _years_later(installed, 16),
        removed_on=spec.closed_on,
    )
    history = AccountHistory(spec.number, meters=[meter])
    counters = [rng.randrange(4000, 9000) * (10 if spec.digits > 5 else 1) // (i + 1) for i in range(spec.zones)]
    tz = timezone.get_current_timezone()
    for index, period in enumerate(periods):
        total = int(spec.base_kwh * SEASON[period.month] * rng.uniform(0.9, 1.1))
        volumes = [round(total * share) for share in NIGHT_SHARE.get(spec.zones, (1.0,))]
        counters = [(c + v) % 10**spec.digits for c, v in zip(counters, volumes, strict=True)]
        taken = datetime.combine(period.replace(day=rng.randint(18, 24)), time(19, 30), tzinfo=tz)
        source = (Reading.Source.PORTAL if index % 7 else Reading.Source.INSPECTOR).value
        history.readings.append(ReadingRow(spec.number, meter.serial, period, tuple(counters), source, taken))
        history.accruals += _electricity(spec, period, volumes)
        if spec.heating:
            history.accruals += _heat(spec, period, rng)
    if spec.recalculation:
        _recalculate(history, periods[-5])
    history.payments = _payments(spec, history.accruals, periods, rng, today)
    return history


def _electricity(spec: HistorySpec, period: date, volumes: list[int]) -> list[AccrualRow]:
    zone_names = ("",) if spec.zones == 1 else ("Т1", "Т2", "Т3")[: spec.zones]
    rates = rates_on("electricity", spec.zones, period)
    return [
        AccrualRow(spec.number, period, "electricity", zone, Decimal(volume), rate, charge(Decimal(volume), rate))
        for zone, volume, rate in zip(zone_names, volumes, rates, strict=True)
    ]


def _heat(spec: HistorySpec, period: date, rng: random.Random) -> list[AccrualRow]:
    rows = []
    for code, volume in (("heating", HEATING_GCAL.get(period.month)), ("hot-water", f"{rng.uniform(2.4, 3.6):.3f}")):
        if volume is None:
            continue  # no heating in summer
        (rate,) = rates_on(code, 1, period)
        rows.append(AccrualRow(spec.number, period, code, "", Decimal(volume), rate, charge(Decimal(volume), rate)))
    return rows


def _recalculate(history: AccountHistory, period: date) -> None:
    """Half of one month's hot water taken back: the customer was away (the README's example)."""
    for index, row in enumerate(history.accruals):
        if row.period == period and row.service == "hot-water":
            history.accruals[index] = replace(
                row, recalculation=-to_kopecks(row.amount * Decimal("0.5")), recalculation_reason=RECALCULATION_REASON
            )


def _payments(
    spec: HistorySpec, accruals: list[AccrualRow], periods: list[date], rng: random.Random, today: date
) -> list[PaymentRow]:
    """Each month's bill is paid in the following month, by habit; an overpayer pays it the day
    it comes (the 1st), or else on the first days of every month the bill just issued would
    outweigh the surplus and the README's «Переплата» would show a debt."""
    billed: dict[date, Decimal] = {}
    for row in accruals:
        billed[row.period] = billed.get(row.period, ZERO) + row.total
    payments = []
    for index, period in enumerate(periods):
        if spec.payer == "debtor" and index >= len(periods) - 3:
            continue  # the last three bills are not paid
        amount = billed[period]
        if spec.payer == "overpays" and index % 6 == 0:
            amount = to_kopecks(amount * Decimal("1.15"))
        day = rng.randint(3, 12)  # drawn for every payer: the other draws stay as they were
        paid_on = next_month(period).replace(day=1 if spec.payer == "overpays" else day)
        if paid_on <= today:
            channel = rng.choice([Payment.Channel.ONLINE, Payment.Channel.BANK, Payment.Channel.ONLINE]).value
            payments.append(PaymentRow(spec.number, paid_on, amount, channel))
    return payments


# --- Storing ---------------------------------------------------------------------------------
def ensure_services() -> dict[str, Service]:
    services = {}
    for code, name, unit, ordering in SERVICES:
        services[code], _ = Service.objects.get_or_create(
            code=code, defaults={"name": name, "unit": unit, "ordering": ordering}
        )
    return services


def ensure_tariffs(region: Region, services: dict[str, Service]) -> None:
    for code, zones, valid_from, rates in TARIFFS:
        Tariff.objects.get_or_create(
            region=region,
            service=services[code],
            zones=zones,
            valid_from=valid_from,
            defaults=dict(zip(("rate_t1", "rate_t2", "rate_t3"), rates, strict=False)),
        )


def accounts_without_history():
    """Accounts with no meter, accrual or payment: the ones the demo may fill."""
    return (
        PersonalAccount.objects.filter(
            ~Exists(Meter.objects.filter(account=OuterRef("pk"))),
            ~Exists(Accrual.objects.filter(account=OuterRef("pk"))),
            ~Exists(Payment.objects.filter(account=OuterRef("pk"))),
        )
        .order_by("pk")
        .values_list("pk", "region__code", "number", "closed_on", "premises__flat")
    )


def store_portal_readings(readings: list[tuple[int, ReadingRow]]) -> None:
    """Store readings customers sent through the portal — Kabinet's own rows, not billing's, so
    not a file of the exchange — as plain INSERTs (`core.bulk.insert_rows`). `readings`: (account id,
    row) for one batch of accounts, whose meters must be stored already."""
    meter_ids = {
        (account_id, serial): pk
        for pk, account_id, serial in Meter.objects.filter(account_id__in={a for a, _ in readings}).values_list(
            "pk", "account_id", "serial"
        )
    }
    at = connection.ops.adapt_datetimefield_value  # SQLite keeps UTC without a zone, as the ORM writes it
    insert_rows(  # set-based: not shown (manage.py demo's readings)
        Reading,
        ("meter", "period", "t1", "t2", "t3", "source", "taken_at", "wrapped", "unusual_confirmed"),
        [
            (
                meter_ids[account_id, r.serial],
                r.period,
                *(r.values + (None,) * (3 - len(r.values))),
                r.source,
                at(r.taken_at),
                False,
                False,
            )
            for account_id, r in readings
        ],
    )
