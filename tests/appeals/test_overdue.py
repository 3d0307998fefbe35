"""«Просрочено»: one rule (open, and the deadline day is over in the branches' time), asked the
same way by the queue's filter and counts (AppealQuerySet.overdue) and by the red rows and the
appeal's page (Appeal.is_overdue)."""

from datetime import UTC, date, datetime, timedelta

from django.utils import timezone
import pytest

from kabinet.appeals.models import Appeal, Status
from tests.factories import make_appeal


def late_by(appeal: Appeal, status: str, deadline: date) -> Appeal:
    Appeal.objects.filter(pk=appeal.pk).update(status=status, deadline=deadline)
    appeal.refresh_from_db()
    return appeal


def overdue_both_ways(appeal: Appeal) -> tuple[bool, bool]:
    """What the queryset (queue, counts) and the property (rows, page) say of one appeal."""
    return Appeal.objects.overdue().filter(pk=appeal.pk).exists(), appeal.is_overdue


@pytest.mark.parametrize(
    ("status", "days_left", "overdue"),
    [
        (Status.NEW, 0, False),  # the deadline day itself is still in time
        (Status.NEW, -1, True),
        (Status.IN_PROGRESS, 0, False),
        (Status.IN_PROGRESS, -1, True),
        (Status.WAITING, -1, True),  # a question to the customer does not stop the clock
        (Status.ANSWERED, -1, False),
        (Status.CLOSED, -1, False),
        (Status.NEW, 1, False),
    ],
)
def test_overdue_at_its_boundary(customer, account, reason, status, days_left, overdue):
    appeal = make_appeal(customer, account, reason, files=0)
    late_by(appeal, status, timezone.localdate() + timedelta(days=days_left))
    assert overdue_both_ways(appeal) == (overdue, overdue)


def test_the_day_turns_at_local_midnight_not_in_utc(customer, account, reason, settings, monkeypatch):
    settings.TIME_ZONE = "Asia/Yekaterinburg"  # UTC+5: at 20:30 UTC it is already tomorrow there
    evening_utc = datetime(2026, 3, 10, 20, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: evening_utc)
    yesterday_there = make_appeal(customer, account, reason, files=0)
    today_there = make_appeal(customer, account, reason, files=0)
    late_by(yesterday_there, Status.IN_PROGRESS, date(2026, 3, 10))  # still "today" in UTC
    late_by(today_there, Status.IN_PROGRESS, date(2026, 3, 11))
    assert overdue_both_ways(yesterday_there) == (True, True)
    assert overdue_both_ways(today_there) == (False, False)


def test_a_given_day_is_asked_the_same_way(customer, account, reason):
    """The queryset and the row-by-row rule agree for any day a caller passes."""
    appeal = late_by(make_appeal(customer, account, reason, files=0), Status.NEW, date(2026, 5, 12))
    for day, overdue in [(date(2026, 5, 12), False), (date(2026, 5, 13), True)]:
        assert Appeal.objects.overdue(day).filter(pk=appeal.pk).exists() is overdue
        assert appeal.overdue_on(day) is overdue
