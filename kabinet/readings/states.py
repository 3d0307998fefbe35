"""What the «Передать показания» page says about each meter before anything is typed: the
reading new values are checked against, the one already sent in this window, and what to do
about a meter past its verification date (readings are still taken; billing may refuse them)."""

from dataclasses import dataclass
from datetime import date

from kabinet.billing.models import PersonalAccount
from kabinet.core.compiled import Compiled, sentinel
from kabinet.readings.models import Meter, Reading
from kabinet.readings.selectors import account_meters, window_readings, with_window_readings
from kabinet.readings.window import reading_window, today_or


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


# One statement each for every account and window: compiled once (core.compiled).
_METERS = Compiled(
    lambda account, period: with_window_readings(account_meters(account), period),
    sentinel.integer(0),
    sentinel.day(0),
)
_READINGS = Compiled(
    lambda account, period: window_readings(account_meters(account), period),
    sentinel.integer(0),
    sentinel.day(0),
)


def meter_states(account: PersonalAccount, today: date | None = None) -> list[MeterState]:
    """Each active meter's state: the meters in one query, their readings in one more (none
    when no meter has any)."""
    today = today_or(today)
    period = reading_window(account.region, today).period
    meters = _METERS.instances(account.pk, period)
    if any(meter.previous_id or meter.sent_id for meter in meters):
        readings = {reading.pk: reading for reading in _READINGS.instances(account.pk, period)}
    else:
        readings = {}
    return [_state(meter, readings, today) for meter in meters]


def _state(meter: Meter, readings: dict[int, Reading], today: date) -> MeterState:
    # By the meter's own ids, given the meter: a reading sent between the two queries shows next time.
    previous, current = readings.get(meter.previous_id), readings.get(meter.sent_id)
    for reading in filter(None, (previous, current)):
        reading.meter = meter
    return MeterState(meter, previous, current, verification_notice(meter, today))
