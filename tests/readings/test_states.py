"""What the readings page says of each meter (readings.states.meter_states) is read for all the
account's meters at once, and agrees with the per-meter rules (readings.selectors): the reading
to check against and the one already sent in the window, replaced readings left out."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kabinet.billing.periods import add_months
from kabinet.readings.selectors import previous_reading, sent_in_window
from kabinet.readings.states import meter_states
from kabinet.readings.window import reading_window
from tests.factories import add_reading, make_meter


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
    assert len(queries) == 2
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
