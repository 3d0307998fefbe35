"""What the readings page says of each meter (readings.states.meter_states) is read for all the
account's meters at once, and agrees with the per-meter rules (readings.selectors): the reading
to check against and the one already sent in the window, replaced readings left out. The meters
and their readings are one statement, compiled once a process (core.compiled), whatever the
account, window or meters."""

from datetime import timedelta

from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
import pytest

from kabinet.billing.periods import add_months
from kabinet.readings import states as states_module
from kabinet.readings.models import Reading
from kabinet.readings.selectors import READING_COLUMNS, previous_reading, sent_in_window
from kabinet.readings.states import customer_meter_states, meter_states
from kabinet.readings.window import reading_window
from tests.factories import add_reading, make_account, make_customer, make_meter, orm_compilations


def test_agrees_with_the_per_meter_rules_for_every_meter(account):
    today = timezone.localdate()
    period = reading_window(account.region, today).period
    quiet = make_meter(account, serial="00000001")  # no readings at all
    sent_twice = make_meter(account, serial="00000002")
    add_reading(sent_twice, add_months(period, -2), 100)
    add_reading(sent_twice, add_months(period, -1), 200)
    first = add_reading(sent_twice, period, 300)
    second = add_reading(sent_twice, period, 310, taken_at=first.taken_at + timedelta(hours=1))
    first.replaced_by = second
    first.save()
    replaced_before = make_meter(account, serial="00000003")
    kept = add_reading(replaced_before, add_months(period, -3), 50)
    old = add_reading(replaced_before, add_months(period, -1), 90)
    old.replaced_by = add_reading(replaced_before, period, 95)
    old.save()
    with CaptureQueriesContext(connection) as queries:
        states = meter_states(account, today)
    assert len(queries) == 1
    for state in states:
        assert state.previous == previous_reading(state.meter, before=period)
        assert state.current == sent_in_window(state.meter, period)
    by_meter = {state.meter: state for state in states}
    assert by_meter[quiet].previous is None and by_meter[quiet].current is None
    assert by_meter[sent_twice].current == second and by_meter[sent_twice].previous.values == (200,)
    assert by_meter[replaced_before].previous == kept
    with CaptureQueriesContext(connection) as queries:
        assert [value for _, value in by_meter[sent_twice].previous_values] == [200]
    assert len(queries) == 0  # the readings know their meter


def kinds(account):
    """Meters with no readings, with only one to check against, with only one sent in the
    window, and with both; the window's period."""
    period = reading_window(account.region, timezone.localdate()).period
    quiet = make_meter(account, serial="00000011")
    before = make_meter(account, serial="00000012")
    add_reading(before, add_months(period, -1), 70)
    sent = make_meter(account, serial="00000013")
    add_reading(sent, period, 30)
    both = make_meter(account, serial="00000014")
    add_reading(both, add_months(period, -2), 10)
    add_reading(both, period, 20)
    return period, (quiet, before, sent, both)


def test_the_readings_joined_are_those_the_meters_name(account):
    """The join finds each active meter's previous and sent reading as the per-meter rules find
    them, nothing else, an inactive meter's neither."""
    period, (quiet, before, sent, both) = kinds(account)
    add_reading(make_meter(account, serial="00000016", is_active=False), add_months(period, -1), 5)
    rules = [(previous_reading(m, before=period), sent_in_window(m, period)) for m in (quiet, before, sent, both)]
    expected = sorted((reading for pair in rules for reading in pair if reading), key=lambda reading: reading.pk)
    states = meter_states(account)
    joined = [reading for state in states for reading in (state.previous, state.current) if reading]
    assert sorted(joined, key=lambda reading: reading.pk) == expected
    assert len(expected) == 4 and [state.meter for state in states] == [quiet, before, sent, both]
    by_meter = {state.meter: state for state in states}
    assert (by_meter[quiet].previous, by_meter[quiet].current) == (None, None)
    assert by_meter[before].previous.values == (70,) and by_meter[before].current is None
    assert by_meter[sent].previous is None and by_meter[sent].current.values == (30,)
    assert by_meter[both].previous.values == (10,) and by_meter[both].current.values == (20,)
    for state in by_meter.values():
        assert state.previous == previous_reading(state.meter, before=period)
        assert state.current == sent_in_window(state.meter, period)
        assert all(reading.meter is state.meter for reading in (state.previous, state.current) if reading)
        for reading in (state.previous, state.current):
            if reading:  # every column as the ORM reads it
                fresh = Reading.objects.get(pk=reading.pk)
                assert [getattr(reading, name) for name in READING_COLUMNS] == [
                    getattr(fresh, name) for name in READING_COLUMNS
                ]


def test_without_readings_one_query_still(account):
    make_meter(account, serial="00000021")
    make_meter(account, serial="00000022")
    with CaptureQueriesContext(connection) as queries:
        found = meter_states(account)
    assert len(queries) == 1 and [(s.previous, s.current) for s in found] == [(None, None)] * 2


def test_no_account_or_window_compiles_sql_after_the_first(account, sverdlovsk):
    period, _ = kinds(account)
    meter_states(account)
    other = make_account(sverdlovsk, "660100000077", house="77")
    add_reading(make_meter(other, serial="00000031"), add_months(period, -1), 40)
    later = timezone.localdate() + timedelta(days=62)  # another window
    with orm_compilations() as compiled, CaptureQueriesContext(connection) as queries:
        found = [meter_states(account), meter_states(other), meter_states(account, later), meter_states(other, later)]
    assert compiled == [] and len(queries) == 4
    assert [len(states) for states in found] == [4, 1, 4, 1]
    assert found[1][0].previous.values == (40,) and found[3][0].previous.values == (40,)


def test_a_window_given_is_used_as_is_and_not_with_another_day(account):
    """The page and the API pass the window they worked out: the same states as from its day."""
    meter = make_meter(account)
    window = reading_window(account.region, timezone.localdate())
    add_reading(meter, add_months(window.period, -1), 100)
    with CaptureQueriesContext(connection) as queries:
        given = meter_states(account, window=window)
    assert len(queries) == 1
    assert [(s.meter.pk, s.previous.pk) for s in given] == [
        (s.meter.pk, s.previous.pk) for s in meter_states(account, window.today)
    ]
    with pytest.raises(TypeError):
        meter_states(account, window.today, window=window)


def described(states) -> list[tuple]:
    return [(s.meter.pk, s.previous and s.previous.pk, s.current and s.current.pk, s.notice) for s in states]


# Windows whose month is not the day's own on some days: before its first day the window of
# 25th–5th is last month's, after its last the window of 10th–12th is next month's.
WINDOWS = [(1, 31), (25, 5), (10, 12), (20, 20)]


@pytest.mark.parametrize("days", WINDOWS)
@pytest.mark.parametrize("day", [1, 5, 6, 15, 28])
@pytest.mark.parametrize("guessed", [None, -1, 0, 1])
def test_a_customers_meters_are_meter_states_of_their_account(customer, account, days, day, guessed):
    """The account, its window and its meters' states as `customer_account`, `reading_window` and
    `meter_states` give them, on days whose window is for this month, the last or the next,
    whichever month is guessed (none seen yet, or last, this or next month's)."""
    region = account.region
    region.readings_from_day, region.readings_to_day = days
    region.save()
    today = timezone.localdate().replace(day=day)
    period, _ = kinds(account)
    add_reading(make_meter(account, serial="00000015"), add_months(period, 1), 60)
    if guessed is not None:  # a page seen earlier that day, its window for that month
        states_module._last_period = (today, add_months(today.replace(day=1), guessed))
    found = customer_meter_states(customer, account.pk, today)
    window = reading_window(region, today)
    assert found.account == account and found.account.region.readings_from_day == days[0]
    assert found.window == window
    assert described(found.states) == described(meter_states(account, window=window))
    assert all(state.meter.account is found.account for state in found.states)


def test_the_account_and_its_meters_are_one_statement_when_the_month_is_guessed(customer, account):
    """The month guessed first is the day's own; once a window was for another month on that day,
    that one (regions mostly agree). A wrong guess reads the meters again, with the right month."""
    region = account.region
    region.readings_from_day, region.readings_to_day = 25, 5  # on the 3rd: last month's window
    region.save()
    today = timezone.localdate().replace(day=3)
    make_meter(account)
    for statements in (2, 1):
        with CaptureQueriesContext(connection) as queries:
            found = customer_meter_states(customer, account.pk, today)
        assert len(queries) == statements and found.window.period == add_months(today.replace(day=1), -1)
        assert len(found.states) == 1


def test_anothers_account_is_not_found_with_its_meters_or_without(customer, account, sverdlovsk):
    other = make_account(sverdlovsk, "660100000078", house="78")
    make_meter(other, serial="00000041")
    bare = make_account(sverdlovsk, "660100000079", house="79")
    make_customer("+79120000002", other)
    make_customer("+79120000003", bare)
    for anothers in (other, bare):
        with pytest.raises(Http404):
            customer_meter_states(customer, anothers.pk)


def test_an_account_without_meters_is_found_without_states(customer, account):
    found = customer_meter_states(customer, account.pk)
    assert found.account == account and found.states == []
    assert found.window == reading_window(account.region, timezone.localdate())
