"""The submission window: a region accepts readings on days `readings_from_day`..`readings_to_day`
of the month (a window whose first day is after its last runs into the following month).
Readings sent in a window are for the month it opened in.

Every function takes `today` so tests choose the date; it defaults to `timezone.localdate()`."""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from kabinet.billing.models import Region
from kabinet.billing.periods import add_months, day_of_month, long_date, month_start


def today_or(today: date | None) -> date:
    """The one place the current date comes from: the seam tests pass a date through."""
    return today if today is not None else timezone.localdate()


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
        """A whole sentence: the date's «г.» is its full stop."""
        return f"Сейчас показания не принимаются. Приём откроется {long_date(self.starts)}"


def _window_of(region: Region, period: date) -> tuple[date, date]:
    first, last = region.readings_from_day, region.readings_to_day
    end_month = period if first <= last else add_months(period, 1)
    return day_of_month(period, first), day_of_month(end_month, last)


def reading_window(region: Region, today: date | None = None) -> Window:
    """The window containing `today`, or else the next one to open (which may be next year's)."""
    today = today_or(today)
    this_month = month_start(today)
    for period in (add_months(this_month, -1), this_month, add_months(this_month, 1)):
        starts, ends = _window_of(region, period)
        if today <= ends:
            return Window(period, starts, ends, today, region.readings_from_day, region.readings_to_day)
    raise AssertionError("a window ends within two months")  # pragma: no cover
