"""Answer deadlines in working days of the Russian production calendar.

The expected dates were checked against `holidays.country_holidays("RU", years=[2026, 2027])`
(holidays 0.109), which follows the government decrees on moved days off:
- 2026: 1–8 January holidays, 9 January a day off moved from Saturday 3 January, 4 November
  (Wednesday) Unity Day, and 31 December a day off moved from Sunday 4 January;
- 2027: 1–8 January holidays; 9 and 10 January are a Saturday and a Sunday.
"""

from datetime import date

from django.utils import timezone
import pytest

from kabinet.appeals import services
from kabinet.appeals.calendar import add_working_days, is_working_day
from tests.factories import make_appeal


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Wednesday 30.12.2026: 31.12 is a moved day off, 1–8.01 holidays, 9–10.01 a weekend.
        (date(2026, 12, 30), 1, date(2027, 1, 11)),
        # Tuesday 03.11.2026: Wednesday 04.11 is Unity Day.
        (date(2026, 11, 3), 1, date(2026, 11, 5)),
        # Friday: Saturday and Sunday are skipped.
        (date(2026, 3, 13), 1, date(2026, 3, 16)),
        (date(2026, 3, 13), 5, date(2026, 3, 20)),
        # A plain week: the day of registration itself is not counted.
        (date(2026, 3, 16), 1, date(2026, 3, 17)),
        (date(2026, 3, 16), 10, date(2026, 3, 30)),
        # Registered on a Saturday: the count starts on Monday.
        (date(2026, 3, 14), 1, date(2026, 3, 16)),
        # 31.12.2025 (Wednesday) + 1: the New Year holidays of 2026 run to Friday 09.01.
        (date(2025, 12, 31), 1, date(2026, 1, 12)),
        # Victory Day 2026 is a Saturday, so Monday 11.05 is a day off in its place.
        (date(2026, 5, 8), 1, date(2026, 5, 12)),
        (date(2026, 3, 16), 0, date(2026, 3, 16)),
    ],
)
def test_add_working_days_skips_weekends_and_holidays(start, days, expected):
    assert add_working_days(start, days) == expected


def test_working_saturday_moved_by_decree_counts():
    # Saturday 01.11.2025 was a working day (the day off moved to Monday 03.11).
    assert is_working_day(date(2025, 11, 1))
    assert not is_working_day(date(2025, 11, 3))
    assert add_working_days(date(2025, 10, 31), 1) == date(2025, 11, 1)


def test_submit_sets_the_deadline_in_working_days(customer, account, reason, monkeypatch):
    monkeypatch.setattr(services.timezone, "localdate", lambda *args: date(2026, 12, 30))
    reason.answer_days = 3
    reason.save()
    appeal = make_appeal(customer, account, reason, files=0)
    # 11.01.2027 (Mon), 12.01 (Tue), 13.01 (Wed).
    assert appeal.deadline == date(2027, 1, 13)
    assert appeal.number == "66-2026-000001"


def test_submit_deadline_today_plus_answer_days(customer, account, reason):
    appeal = make_appeal(customer, account, reason, files=0)
    appeal.refresh_from_db()
    today = timezone.localdate()
    assert appeal.deadline == add_working_days(today, reason.answer_days)
    assert appeal.deadline > today
