"""Month arithmetic and Russian month names (kabinet.billing.periods), used by bills, balances,
the bill job and the readings window."""

from datetime import date

from django.utils import translation
import pytest

from kabinet.billing.periods import (
    add_months,
    day_of_month,
    long_date,
    month_in_text,
    month_name,
    month_start,
    months_between,
    next_month,
    parse_period,
    previous_month,
)


@pytest.mark.parametrize(
    ("period", "months", "expected"),
    [
        (date(2026, 11, 1), 1, date(2026, 12, 1)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 1, 31), -1, date(2025, 12, 1)),
        (date(2026, 11, 15), -36, date(2023, 11, 1)),
        (date(2026, 3, 1), 0, date(2026, 3, 1)),
    ],
)
def test_add_months_lands_on_the_first_of_the_month(period, months, expected):
    assert add_months(period, months) == expected


def test_next_previous_and_start():
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert previous_month(date(2026, 1, 31)) == date(2025, 12, 1)
    assert month_start(date(2026, 2, 28)) == date(2026, 2, 1)


def test_months_between_ignores_days():
    assert months_between(date(2025, 11, 30), date(2026, 11, 1)) == 12
    assert months_between(date(2026, 11, 1), date(2026, 11, 30)) == 0


@pytest.mark.parametrize(
    ("period", "day", "expected"),
    [
        (date(2027, 2, 1), 31, date(2027, 2, 28)),
        (date(2028, 2, 1), 30, date(2028, 2, 29)),
        (date(2026, 4, 1), 0, date(2026, 4, 1)),
    ],
)
def test_a_day_beyond_the_month_is_its_last_day(period, day, expected):
    assert day_of_month(period, day) == expected


def test_parse_period():
    assert parse_period("2026-10") == date(2026, 10, 1)
    with pytest.raises(ValueError):
        parse_period("2026-13")


@pytest.mark.parametrize(
    ("month", "nominative", "genitive"),
    [(1, "январь", "января"), (3, "март", "марта"), (5, "май", "мая"), (8, "август", "августа"),
     (12, "декабрь", "декабря")],
)  # fmt: skip
def test_month_names_come_from_the_russian_locale(month, nominative, genitive):
    day = date(2026, month, 15)
    assert month_in_text(day) == f"{nominative} 2026"
    assert month_name(day) == f"{nominative.capitalize()} 2026"
    assert long_date(day) == f"15 {genitive} 2026 г."


def test_names_stay_russian_whatever_language_is_active():
    """Bills and messages are Russian documents, even if a request ran in another language."""
    with translation.override("en"):
        assert month_in_text(date(2026, 10, 1)) == "октябрь 2026"
        assert long_date(date(2026, 12, 15)) == "15 декабря 2026 г."
