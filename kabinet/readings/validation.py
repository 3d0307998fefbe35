"""Validation of typed readings, zone by zone: whole numbers only, no more digits than the
display has, not below the previous reading unless the display wrapped past zero (the customer
confirms it, consumption is counted across the wrap), and a month's consumption above three times
the meter's 12-month average needs the customer's confirmation."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import pairwise
import re

from kabinet.billing.periods import add_months, months_between
from kabinet.core.wording import plural_ru
from kabinet.readings.models import Meter, Reading
from kabinet.readings.selectors import current_readings, previous_reading, sent_in_window

UNUSUAL_FACTOR = 3  # a month's consumption above this many average months needs confirming
AVERAGE_MONTHS = 12
WRAP = "wrap"
UNUSUAL = "unusual"


def consumption(previous: int, value: int, capacity: int) -> int:
    """Units used between two values of one zone; a lower value means the display wrapped."""
    return value - previous if value >= previous else capacity - previous + value


def average_consumption(meter: Meter, period: date) -> Decimal | None:
    """The meter's average monthly consumption (all zones) over the 12 months before `period`,
    from its current readings; None with fewer than two readings a month or more apart."""
    readings = list(
        current_readings(meter)
        .filter(period__gte=add_months(period, -AVERAGE_MONTHS - 1), period__lt=period)
        .order_by("period", "taken_at", "pk")
    )
    if len(readings) < 2:
        return None
    months = months_between(readings[0].period, readings[-1].period)
    if months < 1:
        return None
    total = 0
    for earlier, later in pairwise(readings):
        total += sum(
            consumption(getattr(earlier, zone) or 0, getattr(later, zone) or 0, meter.capacity)
            for zone in meter.zone_fields
        )
    return Decimal(total) / months


@dataclass
class MeterCheck:
    """One meter's values checked against its history. `errors` (by zone) refuse a value;
    `asks` (by confirmation key: "wrap-t1", "unusual") are warnings the customer must confirm."""

    meter: Meter
    previous: Reading | None
    current: Reading | None  # sent earlier in this window: the new reading replaces it
    raw: dict[str, str]
    values: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    asks: dict[str, str] = field(default_factory=dict)
    confirmed: set[str] = field(default_factory=set)
    consumption: dict[str, int] = field(default_factory=dict)
    average: Decimal | None = None

    @property
    def missing(self) -> dict[str, str]:
        """Warnings not yet confirmed."""
        return {key: text for key, text in self.asks.items() if key not in self.confirmed}

    @property
    def ok(self) -> bool:
        return not self.errors and not self.missing

    @property
    def wrapped(self) -> bool:
        return any(key.startswith(WRAP) for key in self.asks)


def wrap_key(zone: str) -> str:
    return f"{WRAP}-{zone}"


DECIMAL = re.compile(r"[0-9]+[.,][0-9]*")
DIGITS = re.compile(r"[0-9]+")
SPACES = re.compile(r"[\s\u00a0\u202f]+")


def parse_value(raw: str, meter: Meter) -> tuple[int | None, str]:
    """A typed value as a whole number within the display's digits, or why not."""
    text = SPACES.sub("", raw or "")
    if not text:
        return None, "Введите показание."
    if DECIMAL.fullmatch(text):
        return None, "Введите целое число — только цифры до запятой, без дробной части."
    if not DIGITS.fullmatch(text):
        return None, "Введите только цифры, без букв и знаков."
    if len(text.lstrip("0")) > meter.digits:
        return None, (
            f"Слишком много цифр: на табло этого счётчика {meter.digits} "
            f"{plural_ru(meter.digits, ('цифра', 'цифры', 'цифр'))} до запятой, "
            f"показание не больше {meter.capacity - 1}."
        )
    return int(text), ""


def check_meter(
    meter: Meter,
    raw: Mapping[str, str],
    confirmed: Collection[str] = (),
    *,
    period: date,
) -> MeterCheck:
    """Check one meter's typed values for the window of `period`."""
    check = MeterCheck(
        meter=meter,
        previous=previous_reading(meter, before=period),
        current=sent_in_window(meter, period),
        raw={zone: raw.get(zone, "") for zone in meter.zone_fields},
    )
    labels = dict(zip(meter.zone_fields, meter.zone_labels, strict=True))
    unit = meter.service.unit
    for zone in meter.zone_fields:
        value, error = parse_value(check.raw[zone], meter)
        if error:
            check.errors[zone] = error
            continue
        check.values[zone] = value
        if check.previous is None:
            continue
        before = getattr(check.previous, zone)
        if before is None or value >= before:
            check.consumption[zone] = value - (before or 0)
            continue
        used = consumption(before, value, meter.capacity)
        if used * 2 > meter.capacity:
            check.errors[zone] = (
                f"Показание меньше предыдущего ({before}). Проверьте цифры: показание счётчика не уменьшается."
            )
            continue
        check.consumption[zone] = used
        check.asks[wrap_key(zone)] = (
            f"{labels[zone]}: показание меньше предыдущего ({before}). Если табло перешло через ноль "
            f"(после {meter.capacity - 1} снова {'0' * meter.digits}), подтвердите это — расход составит "
            f"{used} {unit}. Иначе исправьте цифры."
        )
    if not check.errors and check.previous is not None:
        check.average = average_consumption(meter, period)
        months = max(1, months_between(check.previous.period, period))
        total = sum(check.consumption.values())
        if check.average and total > UNUSUAL_FACTOR * check.average * months:
            usual = round(check.average * months)  # kWh shown whole (money alone is rounded in billing.money)
            check.asks[UNUSUAL] = (
                f"Расход {total} {unit} — более чем в {UNUSUAL_FACTOR} раза выше обычного "
                f"(в среднем {usual} {unit} за {_months_text(months)} по данным последних 12 месяцев). "
                "Проверьте показания; если они верны, подтвердите."
            )
    check.confirmed = {key for key in confirmed if key in check.asks}
    return check


def _months_text(months: int) -> str:
    """«месяц», «3 месяца», «21 месяц»: after «за»."""
    return "месяц" if months == 1 else f"{months} {plural_ru(months, ('месяц', 'месяца', 'месяцев'))}"
