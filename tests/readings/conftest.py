"""Meters and readings for tests: a meter on an account and its readings by month."""

from datetime import date, datetime, time

from django.utils import timezone
import pytest

from kabinet.billing.models import Service
from kabinet.billing.periods import add_months
from kabinet.readings.models import Meter, Reading

NOV = date(2026, 11, 1)  # the month the tests submit for
IN_WINDOW = date(2026, 11, 20)  # the default window is the 15th to the 25th


def electricity() -> Service:
    service, _ = Service.objects.get_or_create(
        code="electricity", defaults={"name": "Электроснабжение", "unit": "кВт·ч", "ordering": 1}
    )
    return service


def make_meter(account, *, zones: int = 1, digits: int = 6, serial: str = "01234567", **fields) -> Meter:
    fields.setdefault("installed_on", date(2020, 3, 1))
    fields.setdefault("verification_due", date(2032, 3, 1))
    return Meter.objects.create(account=account, service=electricity(), serial=serial, zones=zones, digits=digits,
                                **fields)  # fmt: skip


def add_reading(meter: Meter, period: date, *values: int, source: str = Reading.Source.PORTAL, **fields) -> Reading:
    taken = timezone.make_aware(datetime.combine(period.replace(day=20), time(19, 0)))
    return Reading.objects.create(meter=meter, period=period, source=source, taken_at=fields.pop("taken_at", taken),
                                  **dict(zip(meter.zone_fields, values, strict=True)), **fields)  # fmt: skip


def monthly(meter: Meter, start: tuple[int, ...], used: tuple[int, ...], months: int = 12, last: date = NOV) -> list:
    """`months` readings up to the month before `last`, each month `used` more than the one before."""
    values, readings = list(start), []
    for index in range(months, 0, -1):
        readings.append(add_reading(meter, add_months(last, -index), *values))
        values = [(v + u) % meter.capacity for v, u in zip(values, used, strict=True)]
    return readings


@pytest.fixture
def meter(account) -> Meter:
    return make_meter(account)


@pytest.fixture
def two_zone(account) -> Meter:
    return make_meter(account, zones=2, serial="76543210")
