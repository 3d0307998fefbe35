"""Meter readings: the submission window, validation and storing. The rules live here; views
and the API only collect what the customer typed and show what comes back.

- The window: a region accepts readings on days `readings_from_day`..`readings_to_day` of the
  month (a window whose first day is after its last runs into the following month). Readings
  sent in a window are for the month it opened in.
- Validation per zone: whole numbers only, no more digits than the display has, not below the
  previous reading unless the display wrapped past zero (the customer confirms it, consumption
  is counted across the wrap), and a month's consumption above three times the meter's
  12-month average needs the customer's confirmation. A meter past its verification date is
  flagged (readings are still taken; billing may refuse them).
- Storing: all meters of the account in one transaction, or nothing. A second submission in the
  same window replaces the first; the history keeps both.

Every function takes `today` so tests choose the date; it defaults to `timezone.localdate()`.
"""

from calendar import monthrange
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import pairwise
import logging
import re

from django.db import DatabaseError, transaction
from django.utils import timezone

from kabinet.billing.balances import add_months
from kabinet.billing.models import PersonalAccount, Region
from kabinet.readings.models import Meter, Reading

logger = logging.getLogger(__name__)

UNUSUAL_FACTOR = 3  # a month's consumption above this many average months needs confirming
AVERAGE_MONTHS = 12
WRAP = "wrap"
UNUSUAL = "unusual"

MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip


def today_or(today: date | None) -> date:
    """The one place the current date comes from: the seam tests pass a date through."""
    return today if today is not None else timezone.localdate()


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def human_date(day: date) -> str:
    return f"{day.day} {MONTHS_GENITIVE[day.month - 1]} {day.year} г."


# --- The window -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The window that is open today, or the next one to open."""

    period: date  # the month readings sent in this window are for
    starts: date
    ends: date
    today: date
    from_day: int
    to_day: int

    @property
    def is_open(self) -> bool:
        return self.starts <= self.today <= self.ends

    @property
    def opens_on(self) -> date:
        """When the customer can send readings next: today if the window is open."""
        return self.today if self.is_open else self.starts

    @property
    def rule(self) -> str:
        if self.from_day <= self.to_day:
            return f"Показания принимаются с {self.from_day} по {self.to_day} число"
        return f"Показания принимаются с {self.from_day} числа по {self.to_day} число следующего месяца"

    @property
    def closed_message(self) -> str:
        return f"Сейчас показания не принимаются. Приём откроется {human_date(self.starts)}"


def _day_of(month: date, day: int) -> date:
    """The day of the month, or the month's last day when it is shorter (the 31st of February)."""
    return month.replace(day=max(1, min(day, monthrange(month.year, month.month)[1])))


def _window_of(region: Region, period: date) -> tuple[date, date]:
    first, last = region.readings_from_day, region.readings_to_day
    end_month = period if first <= last else add_months(period, 1)
    return _day_of(period, first), _day_of(end_month, last)


def reading_window(region: Region, today: date | None = None) -> Window:
    """The window containing `today`, or else the next one to open (which may be next year's)."""
    today = today_or(today)
    this_month = today.replace(day=1)
    for period in (add_months(this_month, -1), this_month, add_months(this_month, 1)):
        starts, ends = _window_of(region, period)
        if today <= ends:
            return Window(period, starts, ends, today, region.readings_from_day, region.readings_to_day)
    raise AssertionError("a window ends within two months")  # pragma: no cover


# --- Previous readings and consumption --------------------------------------------------------


def current_readings(meter: Meter):
    """Readings not replaced by a later submission of the same window."""
    return meter.readings.filter(replaced_by__isnull=True)


def previous_reading(meter: Meter, before: date | None = None) -> Reading | None:
    """The latest current reading; with `before`, the latest for a month before it (so a
    second submission in a window is checked against the month before, not the first one)."""
    readings = current_readings(meter)
    if before is not None:
        readings = readings.filter(period__lt=before)
    return readings.order_by("-period", "-taken_at", "-pk").first()


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


def verification_notice(meter: Meter, today: date | None = None) -> str:
    """What to do about a meter past its verification («поверка») date; empty when in date."""
    today = today_or(today)
    if meter.verification_due >= today:
        return ""
    phone = meter.account.region.contact_phone
    return (
        f"Срок поверки счётчика истёк {meter.verification_due:%d.%m.%Y}. Закажите поверку: создайте обращение "
        f"в разделе «Обращения» или позвоните в контактный центр {phone}. Показания счётчика без поверки "
        "биллинг может не принять и начислить плату по среднему потреблению или по нормативу."
    )


# --- Validation -------------------------------------------------------------------------------


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
            f"Слишком много цифр: на табло этого счётчика {meter.digits} цифр до запятой, "
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
        current=current_readings(meter).filter(period=period).order_by("-taken_at", "-pk").first(),
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
                f"Расход {total} {unit} — больше чем в {UNUSUAL_FACTOR} раза выше обычного "
                f"(в среднем {usual} {unit} за {_months_text(months)} по данным последних 12 месяцев). "
                "Проверьте показания; если они верны, подтвердите."
            )
    check.confirmed = {key for key in confirmed if key in check.asks}
    return check


def _months_text(months: int) -> str:
    if months == 1:
        return "месяц"
    if months % 10 in (2, 3, 4) and months % 100 not in (12, 13, 14):
        return f"{months} месяца"
    return f"{months} месяцев"


# --- Submitting -------------------------------------------------------------------------------


class ReadingsRefused(Exception):
    """The account cannot send readings now (window closed, account closed, no meters)."""


class ReadingsNotSaved(Exception):
    """Saving failed; nothing was stored and the previous readings stand."""

    def __init__(self):
        super().__init__(
            "Не удалось сохранить показания: ничего не передано, прежние показания сохранены. "
            "Попробуйте ещё раз через несколько минут."
        )


@dataclass
class Submission:
    window: Window
    checks: list[MeterCheck]
    saved: list[Reading] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.saved)


def account_meters(account: PersonalAccount):
    return Meter.objects.filter(account=account, is_active=True).select_related("service", "account__region")


def refusal(account: PersonalAccount, window: Window) -> str:
    """Why the account cannot send readings now; empty when it can."""
    if not account.is_active:
        return "Лицевой счёт закрыт: показания по нему не принимаются."
    if not window.is_open:
        return window.closed_message + "."
    return ""


def submit_readings(
    user,
    account: PersonalAccount,
    values: Mapping[int, Mapping[str, str]],
    confirmations: Mapping[int, Collection[str]] | None = None,
    *,
    today: date | None = None,
) -> Submission:
    """Check and store the readings of all the account's meters: `values` maps a meter's id to
    its zones' typed values ("t1", "t2", "t3"), `confirmations` a meter's id to the warnings the
    customer confirmed ("wrap-t1", "unusual"). Stores every meter or none: with any error or an
    unconfirmed warning nothing is written and the checks say why."""
    window = reading_window(account.region, today)
    if reason := refusal(account, window):
        raise ReadingsRefused(reason)
    confirmations = confirmations or {}
    try:
        with transaction.atomic():
            # Locked so that two submissions of one account run one after the other.
            meters = list(account_meters(account).select_for_update(of=("self",)))
            if not meters:
                raise ReadingsRefused("По этому лицевому счёту нет счётчиков, показания которых передаются.")
            checks = [
                check_meter(meter, values.get(meter.pk, {}), confirmations.get(meter.pk, ()), period=window.period)
                for meter in meters
            ]
            if not all(check.ok for check in checks):
                return Submission(window, checks)
            now = timezone.now()
            saved = [_store(check, user, window.period, now) for check in checks]
    except DatabaseError as exc:
        logger.exception("readings of account %s not saved", account.pk)
        raise ReadingsNotSaved from exc
    return Submission(window, checks, saved)


def _store(check: MeterCheck, user, period: date, now) -> Reading:
    reading = Reading(
        meter=check.meter,
        period=period,
        source=Reading.Source.PORTAL,
        taken_at=now,
        submitted_by=user,
        wrapped=check.wrapped,
        unusual_confirmed=UNUSUAL in check.asks,
        **check.values,
    )
    reading.save()
    if check.current is not None:
        check.current.replaced_by = reading
        check.current.save(update_fields=["replaced_by"])
    return reading


# --- History ----------------------------------------------------------------------------------


@dataclass
class HistoryRow:
    reading: Reading
    values: list[int | None]
    used: list[int | None]  # consumption per zone since the previous current reading
    months: int  # how many months that consumption covers

    @property
    def replaced(self) -> bool:
        return self.reading.replaced_by_id is not None

    @property
    def cells(self) -> list[tuple[str, int | None, int | None]]:
        """(zone label, reading, consumption) per zone."""
        return list(zip(self.reading.meter.zone_labels, self.values, self.used, strict=True))


@dataclass
class MeterHistory:
    meter: Meter
    rows: list[HistoryRow]  # newest first

    @property
    def labels(self) -> tuple[str, ...]:
        return self.meter.zone_labels


def meter_histories(account: PersonalAccount) -> list[MeterHistory]:
    """Every reading of the account's meters, replaced ones included, with consumption per zone
    and month. Two queries whatever the length of the history."""
    meters = list(account_meters(account))
    by_meter: dict[int, list[Reading]] = {meter.pk: [] for meter in meters}
    readings = (
        Reading.objects.filter(meter__in=meters).select_related("replaced_by").order_by("period", "taken_at", "pk")
    )
    for reading in readings:
        by_meter[reading.meter_id].append(reading)
    histories = []
    for meter in meters:
        rows, last = [], None
        for reading in by_meter[meter.pk]:
            reading.meter = meter
            values = [getattr(reading, zone) for zone in meter.zone_fields]
            used, months = [None] * len(values), 0
            if reading.replaced_by_id is None:
                if last is not None:
                    used = [
                        consumption(getattr(last, zone) or 0, value or 0, meter.capacity)
                        for zone, value in zip(meter.zone_fields, values, strict=True)
                    ]
                    months = months_between(last.period, reading.period)
                last = reading
            rows.append(HistoryRow(reading, values, used, months))
        histories.append(MeterHistory(meter, rows[::-1]))
    return histories


# --- The page ---------------------------------------------------------------------------------


@dataclass
class MeterState:
    """What the page says about a meter before anything is typed."""

    meter: Meter
    previous: Reading | None  # the reading new values are checked against
    current: Reading | None  # already sent in this window; a new submission replaces it
    notice: str  # verification overdue: what to do

    @property
    def previous_values(self) -> list[tuple[str, int]]:
        return labelled_values(self.previous)

    @property
    def current_values(self) -> list[tuple[str, int]]:
        return labelled_values(self.current)


def labelled_values(reading: Reading | None) -> list[tuple[str, int]]:
    if reading is None:
        return []
    return list(zip(reading.meter.zone_labels, reading.values, strict=True))


def meter_states(account: PersonalAccount, today: date | None = None) -> list[MeterState]:
    today = today_or(today)
    period = reading_window(account.region, today).period
    return [
        MeterState(
            meter,
            previous_reading(meter, before=period),
            current_readings(meter).filter(period=period).order_by("-taken_at", "-pk").first(),
            verification_notice(meter, today),
        )
        for meter in account_meters(account)
    ]
