"""Months: the arithmetic every billing period and readings window needs, and their Russian
names. A period is the first day of its month (`date(2026, 10, 1)` is October 2026).

Month and day names come from Django's Russian locale (`date_format` with «F», the nominative,
and «E», the genitive), not from lists of our own. Bills, SMS and e-mails are Russian documents
whatever language a request runs in, so the names are taken with Russian switched on."""

from calendar import monthrange
from datetime import date

from django.utils import translation
from django.utils.formats import date_format

LANGUAGE = "ru"


def month_start(day: date) -> date:
    """The period `day` belongs to."""
    return day.replace(day=1)


def add_months(period: date, months: int) -> date:
    """The first day of the month `months` after (or before) `period`'s month."""
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def next_month(period: date) -> date:
    return add_months(period, 1)


def previous_month(day: date) -> date:
    """The period before the one `day` belongs to."""
    return add_months(day, -1)


def months_between(earlier: date, later: date) -> int:
    """Whole months from `earlier`'s month to `later`'s (days are ignored)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def day_of_month(period: date, day: int) -> date:
    """The `day` of `period`'s month, or the month's last day when it is shorter (the 31st of
    February is the 28th or 29th)."""
    return period.replace(day=max(1, min(day, monthrange(period.year, period.month)[1])))


def parse_period(value: str) -> date:
    """«2026-10» → 1 October 2026; ValueError for anything else."""
    year, month = value.split("-") if value.count("-") == 1 else ("", "")
    if not (len(year) == 4 and year.isdigit() and len(month) == 2 and month.isdigit() and 1 <= int(month) <= 12):
        raise ValueError(f"not a month in the form YYYY-MM: {value!r}")
    return date(int(year), int(month), 1)


def _russian(day: date, format_string: str) -> str:
    with translation.override(LANGUAGE):
        return date_format(day, format_string)


def month_name(period: date) -> str:
    """«Октябрь 2026», as a heading or a chart's caption starts."""
    return _russian(period, "F Y")


def month_in_text(period: date) -> str:
    """«октябрь 2026», inside a sentence: «Квитанция за октябрь 2026»."""
    return month_name(period).lower()


def long_date(day: date) -> str:
    """«15 декабря 2026 г.» The abbreviation's full stop also ends a sentence: a message that
    ends with the date adds no second one."""
    return f"{_russian(day, 'j E Y')} г."
