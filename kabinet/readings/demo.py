"""Demo history for `manage.py load_demo`: services and tariffs, meters, 24 months of readings,
accruals (with seasons), payments (some debt, some overpayment, one recalculation) and the
monthly balances of the demo customers' accounts. Deterministic (a seeded generator) and
idempotent: an account that already has accruals is left alone."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
import random

from django.db import transaction
from django.utils import timezone

from kabinet.billing.balances import next_month, rebuild_balances
from kabinet.billing.models import Accrual, Payment, PersonalAccount, Region, Service, Tariff
from kabinet.billing.money import charge, to_kopecks
from kabinet.readings.models import Meter, Reading

SEED = 20261125
MONTHS = 24

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


@dataclass(frozen=True)
class HistorySpec:
    number: str
    zones: int
    base_kwh: int  # a typical month
    heating: bool  # billed for heating and hot water too
    payer: str  # "pays" on time, "debtor" skips payments lately, "overpays" pays ahead
    verification_due: date
    digits: int = 6
    recalculation: bool = False


HISTORIES = (
    HistorySpec("660100012345", 2, 230, True, "overpays", date(2031, 5, 1)),
    HistorySpec("660100054321", 1, 160, True, "debtor", date(2029, 9, 1), recalculation=True),
    HistorySpec("660100011111", 1, 280, False, "pays", date(2026, 6, 1), digits=5),  # verification overdue
    HistorySpec("5900012345", 3, 310, False, "pays", date(2030, 2, 1)),
)

SEASON = {1: 1.35, 2: 1.25, 3: 1.1, 4: 0.95, 5: 0.85, 6: 0.75, 7: 0.72, 8: 0.78, 9: 0.9, 10: 1.05, 11: 1.2, 12: 1.4}
HEATING_GCAL = {1: "1.62", 2: "1.44", 3: "1.18", 4: "0.71", 5: "0.12", 10: "0.64", 11: "1.21", 12: "1.55"}
NIGHT_SHARE = {2: (0.68, 0.32), 3: (0.22, 0.33, 0.45)}


def ensure_services() -> dict[str, Service]:
    services = {}
    for code, name, unit, ordering in SERVICES:
        services[code], _ = Service.objects.get_or_create(
            code=code, defaults={"name": name, "unit": unit, "ordering": ordering}
        )
    return services


def ensure_tariffs(region: Region, services: dict[str, Service]) -> None:
    for valid_from, single, two, three in ELECTRICITY:
        for zones, rates in ((1, (single,)), (2, two), (3, three)):
            values = dict(zip(("rate_t1", "rate_t2", "rate_t3"), map(Decimal, rates), strict=False))
            Tariff.objects.get_or_create(
                region=region, service=services["electricity"], zones=zones, valid_from=valid_from, defaults=values
            )
    for code, prices in (("heating", HEATING), ("hot-water", HOT_WATER)):
        for valid_from, rate in prices:
            Tariff.objects.get_or_create(
                region=region, service=services[code], zones=1, valid_from=valid_from,
                defaults={"rate_t1": Decimal(rate)},
            )  # fmt: skip


def tariff_on(region: Region, service: Service, zones: int, period: date) -> Tariff:
    return (
        Tariff.objects.filter(region=region, service=service, zones=zones, valid_from__lte=period)
        .order_by("-valid_from")
        .first()
    )


def months_back(today: date, count: int) -> list[date]:
    """The `count` whole months before the current one, oldest first."""
    period = today.replace(day=1)
    periods = []
    for _ in range(count):
        period = (period - timedelta(days=1)).replace(day=1)
        periods.append(period)
    return periods[::-1]


def load_history(spec: HistorySpec, services: dict[str, Service], today: date) -> bool:
    account = PersonalAccount.objects.filter(number=spec.number).select_related("region").first()
    if account is None or account.accruals.exists():
        return False
    rng = random.Random(f"{SEED}-{spec.number}")
    ensure_tariffs(account.region, services)
    periods = months_back(today, MONTHS)
    meter = Meter.objects.create(
        account=account,
        service=services["electricity"],
        serial=f"{rng.randrange(10**7, 10**8)}",
        zones=spec.zones,
        digits=spec.digits,
        installed_on=periods[0] - timedelta(days=400),
        verification_due=spec.verification_due,
    )
    counters = [rng.randrange(4000, 9000) * (10 if spec.digits > 5 else 1) // (i + 1) for i in range(spec.zones)]
    for index, period in enumerate(periods):
        total = int(spec.base_kwh * SEASON[period.month] * rng.uniform(0.9, 1.1))
        shares = NIGHT_SHARE.get(spec.zones, (1.0,))
        volumes = [round(total * share) for share in shares]
        counters = [(c + v) % meter.capacity for c, v in zip(counters, volumes, strict=False)]
        taken = timezone.make_aware(datetime.combine(period.replace(day=rng.randint(18, 24)), time(19, 30)))
        source = Reading.Source.PORTAL if index % 7 else Reading.Source.INSPECTOR
        Reading.objects.create(meter=meter, period=period, source=source, taken_at=taken,
                               **dict(zip(meter.zone_fields, counters, strict=False)))  # fmt: skip
        _accrue_electricity(account, meter, period, volumes)
        if spec.heating:
            _accrue_heat(account, services, period, rng)
    if spec.recalculation:
        _recalculate(account, services, periods[-5])
    _pay(account, spec, periods, rng, today)
    rebuild_balances(account)
    return True


def _accrue_electricity(account, meter, period, volumes) -> None:
    tariff = tariff_on(account.region, meter.service, meter.zones, period)
    zone_names = ("",) if meter.zones == 1 else ("Т1", "Т2", "Т3")[: meter.zones]
    rates = (tariff.rate_t1, tariff.rate_t2, tariff.rate_t3)
    for zone, volume, rate in zip(zone_names, volumes, rates, strict=False):
        Accrual.objects.create(account=account, period=period, service=meter.service, zone=zone,
                               volume=Decimal(volume), tariff=rate, amount=charge(Decimal(volume), rate))  # fmt: skip


def _accrue_heat(account, services, period, rng) -> None:
    for code, volume in (("heating", HEATING_GCAL.get(period.month)), ("hot-water", f"{rng.uniform(2.4, 3.6):.3f}")):
        if volume is None:
            continue
        rate = tariff_on(account.region, services[code], 1, period).rate_t1
        Accrual.objects.create(account=account, period=period, service=services[code], volume=Decimal(volume),
                               tariff=rate, amount=charge(Decimal(volume), rate))  # fmt: skip


def _recalculate(account, services, period) -> None:
    accrual = Accrual.objects.get(account=account, period=period, service=services["hot-water"])
    accrual.recalculation = -to_kopecks(accrual.amount * Decimal("0.5"))
    accrual.recalculation_reason = "Временное отсутствие потребителя 15 дней (справка с места учёбы)"
    accrual.save(update_fields=["recalculation", "recalculation_reason"])


def _pay(account, spec, periods, rng, today) -> None:
    """Each month's bill is paid in the following month, by habit."""
    for index, period in enumerate(periods):
        if spec.payer == "debtor" and index >= len(periods) - 3:
            continue  # the last three bills are not paid
        billed = sum((a.total for a in account.accruals.filter(period=period)), Decimal("0"))
        amount = to_kopecks(billed * Decimal("1.15")) if spec.payer == "overpays" and index % 6 == 0 else billed
        paid_on = next_month(period).replace(day=rng.randint(3, 12))
        if paid_on <= today:
            channel = rng.choice([Payment.Channel.ONLINE, Payment.Channel.BANK, Payment.Channel.ONLINE])
            Payment.objects.create(account=account, paid_on=paid_on, amount=amount, channel=channel)


@transaction.atomic
def load_demo(today: date | None = None) -> list[str]:
    today = today or timezone.localdate()
    services = ensure_services()
    for region in Region.objects.all():
        ensure_tariffs(region, services)
    return [f"24 months of history for {spec.number}" for spec in HISTORIES if load_history(spec, services, today)]
