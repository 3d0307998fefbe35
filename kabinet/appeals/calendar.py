"""Working days of the Russian production calendar, for answer deadlines.

The calendar (holidays, the days off moved by government decree, the working Saturdays) comes
from the `holidays` package, which follows each year's decree.
"""

from datetime import date, timedelta
from functools import lru_cache

from django.utils import timezone
import holidays


@lru_cache(maxsize=8)
def _calendar(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=[year, year + 1])


def today() -> date:
    """Today where the branches work (TIME_ZONE): deadlines are their calendar dates, so an
    appeal is late from local midnight, not from midnight in UTC."""
    return timezone.localdate()


def is_working_day(day: date) -> bool:
    return _calendar(day.year).is_working_day(day)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (the day of registration itself not
    counted), as deadlines in law are reckoned."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day
