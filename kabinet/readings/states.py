"""What the «Передать показания» page says about each meter before anything is typed: the
reading new values are checked against, the one already sent in this window, and what to do
about a meter past its verification date (readings are still taken; billing may refuse them)."""

from dataclasses import dataclass
from datetime import date

from kabinet.billing.access import customer_account
from kabinet.billing.models import PersonalAccount
from kabinet.billing.periods import month_start
from kabinet.core.compiled import Compiled, sentinel
from kabinet.readings.models import Meter, Reading
from kabinet.readings.selectors import READING_COLUMNS, customer_meters_and_window_readings, meters_and_window_readings
from kabinet.readings.window import Window, reading_window, today_or


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


# One statement for every account and window: compiled once (core.compiled).
_WINDOW = Compiled(meters_and_window_readings, sentinel.integer(0), sentinel.day(0))
_CUSTOMERS = Compiled(customer_meters_and_window_readings, sentinel.integer(0), sentinel.integer(1), sentinel.day(0))


def meter_states(
    account: PersonalAccount, today: date | None = None, *, window: Window | None = None
) -> list[MeterState]:
    """Each active meter's state, the meters and their readings in one statement. A caller that
    has the account's window already passes it (its day is then `today`)."""
    if window is not None and today is not None:
        raise TypeError("pass today or the window, not both: the window has its day")
    if window is None:
        window = reading_window(account.region, today_or(today))
    return _states(_WINDOW.instances(account.pk, window.period), account, window)


@dataclass(frozen=True)
class AccountMeters:
    """A customer's account, its readings window today and its meters' states."""

    account: PersonalAccount
    window: Window
    states: list[MeterState]


# The month the last page's window was for, on that day: which month to read the readings of
# before the account's region is known (`customer_meter_states`). One for the process, shared by
# its threads, and only a hint: a wrong guess costs the statement again, never a wrong answer.
# Regions whose windows are for different months on a day make some guesses wrong (the region
# of the last page decides).
_last_period: tuple[date, date] | None = None


def forget_period_guess() -> None:
    """Back to guessing the day's own month (tests start each from there)."""
    global _last_period
    _last_period = None


def customer_meter_states(user, account_id: int, today: date | None = None) -> AccountMeters:
    """`billing.access.customer_account` (Http404 if not theirs), its window and `meter_states`,
    in one statement when the account has meters and its window is for the month guessed, two
    otherwise: the readings' month depends on the account's region (docs/performance.md, step 11)."""
    global _last_period
    today = today_or(today)
    last = _last_period  # read once: another thread may replace it meanwhile
    guess = last[1] if last is not None and last[0] == today else month_start(today)
    rows = _CUSTOMERS.instances(user.pk, int(account_id), guess)
    if not rows:  # no active meter, or not theirs: the account alone says which
        account = customer_account(user, account_id)
        return AccountMeters(account, reading_window(account.region, today), [])
    account = rows[0].account
    window = reading_window(account.region, today)
    _last_period = (today, window.period)
    if window.period != guess:
        return AccountMeters(account, window, meter_states(account, window=window))
    return AccountMeters(account, window, _states(rows, account, window))


def _states(rows: list[Meter], account: PersonalAccount, window: Window) -> list[MeterState]:
    """The states of the account's meters from `meters_and_window_readings`' rows for the
    window's month: a meter's row for each of its readings (or one with none)."""
    today, period = window.today, window.period
    found: dict[int, MeterState] = {}
    for row in rows:
        state = found.get(row.pk)
        if state is None:
            row.account = account  # the page's own: its region gives the contact phone
            state = found[row.pk] = MeterState(row, None, None, verification_notice(row, today))
        if (reading := _reading_of(row)) is not None:
            reading.meter = state.meter
            if reading.period < period:
                state.previous = reading
            else:
                state.current = reading
    return list(found.values())


def _reading_of(row: Meter) -> Reading | None:
    if row.window_id is None:
        return None
    values = [getattr(row, f"window_{name}") for name in READING_COLUMNS]
    return Reading.from_db(row._state.db, READING_COLUMNS, values)
