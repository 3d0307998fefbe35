"""Storing readings: all meters of an account in one transaction, replacement within a window,
refusals, and the history that keeps everything."""

from datetime import date
from unittest import mock

from django.db import DatabaseError
from django.http import Http404
import pytest

from kabinet.billing.access import customer_account
from kabinet.readings import history as history_module
from kabinet.readings.history import meter_histories
from kabinet.readings.models import Reading
from kabinet.readings.services import ReadingsNotSaved, ReadingsRefused, submit_readings
from kabinet.readings.states import meter_states
from kabinet.readings.validation import UNUSUAL
from tests.factories import IN_WINDOW, NOV, add_reading, make_account, make_customer, make_meter, monthly

OCT = date(2026, 10, 1)


@pytest.fixture
def meters(account):
    """A single-rate and a two-zone meter on one account, read in October."""
    single, double = make_meter(account, serial="111"), make_meter(account, zones=2, serial="222")
    add_reading(single, OCT, 1000, source=Reading.Source.INSPECTOR)
    add_reading(double, OCT, 5000, 2000)
    return single, double


def values(single, double, one="1200", day="5230", night="2100"):
    return {single.pk: {"t1": one}, double.pk: {"t1": day, "t2": night}}


def test_all_meters_stored_together(customer, account, meters):
    single, double = meters
    submission = submit_readings(customer, account, values(single, double), today=IN_WINDOW)
    assert submission.ok
    stored = {r.meter_id: r for r in Reading.objects.filter(period=NOV)}
    assert stored[single.pk].values == (1200,)
    assert stored[double.pk].values == (5230, 2100)
    for reading in stored.values():
        assert reading.source == Reading.Source.PORTAL
        assert reading.submitted_by == customer
        assert reading.replaced_by is None


def test_one_bad_value_stores_nothing(customer, account, meters):
    single, double = meters
    submission = submit_readings(customer, account, values(single, double, night="21оо"), today=IN_WINDOW)
    assert not submission.ok
    assert [c.errors for c in submission.checks] == [{}, {"t2": "Введите только цифры, без букв и знаков."}]
    assert not Reading.objects.filter(period=NOV).exists()


def test_a_warning_not_confirmed_stores_nothing_confirmed_stores_with_the_flag(customer, account):
    meter = make_meter(account)
    monthly(meter, (1000,), (100,))  # previous 2100
    first = submit_readings(customer, account, {meter.pk: {"t1": "3000"}}, today=IN_WINDOW)
    assert not first.ok and first.checks[0].missing.keys() == {UNUSUAL}
    assert not Reading.objects.filter(period=NOV).exists()
    second = submit_readings(customer, account, {meter.pk: {"t1": "3000"}}, {meter.pk: {UNUSUAL}}, today=IN_WINDOW)
    assert second.ok and second.saved[0].unusual_confirmed


def test_a_wrap_confirmed_is_stored_as_wrapped(customer, account):
    meter = make_meter(account, digits=5)
    add_reading(meter, OCT, 99900)
    submission = submit_readings(customer, account, {meter.pk: {"t1": "50"}}, {meter.pk: {"wrap-t1"}}, today=IN_WINDOW)
    assert submission.ok and submission.saved[0].wrapped and submission.saved[0].t1 == 50


def test_second_submission_in_the_window_replaces_the_first_and_history_keeps_both(customer, account, meters):
    single, double = meters
    first = submit_readings(customer, account, values(single, double, one="1300"), today=IN_WINDOW).saved
    # A typo corrected: lower than the first submission but not than October's reading.
    second = submit_readings(customer, account, values(single, double, one="1250"), today=date(2026, 11, 25)).saved
    for old, new in zip(first, second, strict=True):
        old.refresh_from_db()
        assert old.replaced_by == new
    assert Reading.objects.filter(period=NOV).count() == 4
    assert Reading.objects.filter(period=NOV, replaced_by__isnull=True).count() == 2
    history = {h.meter.pk: h for h in meter_histories(account)}[single.pk]
    assert [(row.values, row.used, row.replaced) for row in history.rows] == [
        ([1250], [250], False),
        ([1300], [None], True),
        ([1000], [None], False),
    ]


def test_the_page_shows_the_reading_sent_in_this_window(customer, account, meters):
    single, double = meters
    submit_readings(customer, account, values(single, double), today=IN_WINDOW)
    state = meter_states(account, IN_WINDOW)[0]
    assert state.previous.period == OCT and state.current.values == (1200,)
    assert state.current_values == [("Показание", 1200)]


def test_a_new_window_does_not_replace_the_last_one(customer, account, meters):
    single, double = meters
    submit_readings(customer, account, values(single, double), today=IN_WINDOW)
    submit_readings(customer, account, values(single, double, "1400", "5400", "2200"), today=date(2026, 12, 16))
    assert not Reading.objects.exclude(replaced_by=None).exists()
    assert Reading.objects.filter(period=date(2026, 12, 1)).count() == 2


def test_failure_while_saving_the_second_meter_leaves_the_previous_state(customer, account, meters):
    single, double = meters
    before = list(Reading.objects.values_list("pk", "replaced_by"))
    original = Reading.save

    def failing(reading, *args, **kwargs):
        if reading.meter_id == double.pk and reading.period == NOV:
            raise DatabaseError("disk I/O error")
        return original(reading, *args, **kwargs)

    with mock.patch.object(Reading, "save", failing), pytest.raises(ReadingsNotSaved) as failure:
        submit_readings(customer, account, values(single, double), today=IN_WINDOW)
    assert "ничего не передано" in str(failure.value)
    assert list(Reading.objects.values_list("pk", "replaced_by")) == before


def test_failure_while_replacing_leaves_the_first_submission_current(customer, account, meters):
    single, double = meters
    first = submit_readings(customer, account, values(single, double), today=IN_WINDOW).saved
    original = Reading.save

    def failing(reading, *args, **kwargs):
        if reading.pk == first[1].pk:  # marking the second meter's old reading as replaced
            raise DatabaseError("database is locked")
        return original(reading, *args, **kwargs)

    with mock.patch.object(Reading, "save", failing), pytest.raises(ReadingsNotSaved):
        submit_readings(customer, account, values(single, double, one="1300"), today=IN_WINDOW)
    current = Reading.objects.filter(period=NOV, replaced_by__isnull=True)
    assert sorted(current.values_list("pk", flat=True)) == sorted(r.pk for r in first)
    assert Reading.objects.filter(period=NOV).count() == 2


@pytest.mark.parametrize("today", [date(2026, 11, 14), date(2026, 11, 26)])
def test_refused_outside_the_window(customer, account, meters, today):
    single, double = meters
    with pytest.raises(ReadingsRefused, match=r"Сейчас показания не принимаются\. Приём откроется"):
        submit_readings(customer, account, values(single, double), today=today)
    assert not Reading.objects.filter(period__gte=NOV).exists()


def test_the_refusal_is_one_sentence_with_a_single_full_stop(customer, account, meters):
    """The date's «г.» ends the sentence: no «г..» (issue 11, point 16)."""
    with pytest.raises(ReadingsRefused) as refused:
        submit_readings(customer, account, values(*meters), today=date(2026, 11, 26))
    assert str(refused.value) == "Сейчас показания не принимаются. Приём откроется 15 декабря 2026 г."


def test_refused_for_a_closed_account(customer, account, meters):
    account.status = account.Status.CLOSED
    account.save()
    with pytest.raises(ReadingsRefused, match="Лицевой счёт закрыт"):
        submit_readings(customer, account, values(*meters), today=IN_WINDOW)


def test_refused_without_meters(customer, account):
    with pytest.raises(ReadingsRefused, match="нет счётчиков"):
        submit_readings(customer, account, {}, today=IN_WINDOW)


def test_a_missing_meter_is_an_error_not_a_partial_submission(customer, account, meters):
    single, _ = meters
    submission = submit_readings(customer, account, {single.pk: {"t1": "1200"}}, today=IN_WINDOW)
    assert not submission.ok
    assert submission.checks[1].errors == {"t1": "Введите показание.", "t2": "Введите показание."}
    assert not Reading.objects.filter(period=NOV).exists()


def test_another_customers_account_is_not_found(customer, sverdlovsk, meters):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", flat="7"))
    other_account = other.account_links.get().account
    with pytest.raises(Http404):
        customer_account(customer, other_account.pk)
    assert customer_account(other, other_account.pk) == other_account


def test_history_per_zone_and_month(customer, account):
    meter = make_meter(account, zones=2)
    monthly(meter, (1000, 500), (150, 50), months=3)
    (history,) = meter_histories(account)
    assert history.labels == ("День (Т1)", "Ночь (Т2)")
    assert [(r.reading.period, r.values, r.used, r.months) for r in history.rows] == [
        (OCT, [1300, 600], [150, 50], 1),
        (date(2026, 9, 1), [1150, 550], [150, 50], 1),
        (date(2026, 8, 1), [1000, 500], [None, None], 0),
    ]


def test_history_counts_months_skipped(customer, account):
    meter = make_meter(account)
    add_reading(meter, date(2026, 7, 1), 1000)
    add_reading(meter, OCT, 1600)
    assert meter_histories(account)[0].rows[0].months == 3


def test_history_takes_the_same_queries_however_long(customer, account, django_assert_num_queries):
    for serial in ("1", "2"):
        monthly(make_meter(account, serial=serial), (1000,), (100,), months=24)
    with django_assert_num_queries(2):
        histories = meter_histories(account)
    assert [len(h.rows) for h in histories] == [24, 24]


def test_history_leaves_out_readings_of_a_meter_it_did_not_read(customer, account):
    """The meters and their readings are two statements: a meter that reaches the account between
    them (moved in /admin/, imported with its readings) is in the next view, not an error."""
    first = make_meter(account, serial="1")
    add_reading(first, OCT, 1000)
    add_reading(make_meter(account, serial="2"), OCT, 2000)
    read = history_module._METERS.instances
    with mock.patch.object(history_module._METERS, "instances", lambda pk: [m for m in read(pk) if m.pk == first.pk]):
        (history,) = meter_histories(account)
    assert history.meter == first and [row.values for row in history.rows] == [[1000]]
