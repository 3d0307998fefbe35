"""«История показаний» keeps its meters' tables rendered in the cache (portal.fragments), keyed by
the rows they show: the page shows new data right after whatever changed it. On PostgreSQL the
rows are digested by the database in the account's statement
(readings.history.readings_digest_column), elsewhere by Python from the rows read: both are
tested by the same changes (this suite runs on both)."""

from datetime import date, timedelta

from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
import pytest

from kabinet.billing.models import Region, Service
from kabinet.readings.history import customer_history_account
from kabinet.readings.models import Meter, Reading
from tests.factories import add_reading, customer_login, make_account, make_customer, make_meter

PART = "portal/readings/_history.html"
SEP, OCT, NOV = date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture
def meters(account):
    """A two-zone meter read three months (October's reading replaced), and one never read: its
    empty state names the region's readings window."""
    two_zone = make_meter(account, zones=2, serial="222")
    add_reading(two_zone, SEP, 5000, 2000)
    replaced = add_reading(two_zone, OCT, 5100, 2050)
    again = add_reading(two_zone, OCT, 5110, 2055, taken_at=replaced.taken_at + timedelta(hours=2))
    Reading.objects.filter(pk=replaced.pk).update(replaced_by=again)
    add_reading(two_zone, NOV, 5200, 2100, source=Reading.Source.INSPECTOR)
    return two_zone, make_meter(account, serial="333")


@pytest.fixture
def page(client, customer, account, meters):
    customer_login(client, customer)

    def page():
        response = client.get(reverse("portal:readings_history", args=[account.pk]))
        assert response.status_code == 200
        return response

    return page


def drawn(response) -> bool:
    return PART in [t.name for t in response.templates]


def tables(response) -> str:
    text = response.content.decode()
    return text[text.index('<section class="card" aria-labelledby="history-') : text.rindex('<p class="actions">')]


def test_the_tables_are_drawn_once_and_then_served_from_the_cache(page):
    first, second = page(), page()
    assert drawn(first) and not drawn(second)
    assert tables(first) == tables(second)  # the rest differs: CSP nonce, CSRF token
    assert "заменено" in tables(first) and "Контролёр" in tables(first)


def a_reading_submitted(meters):
    add_reading(meters[1], NOV, 42)


def a_value_corrected(meters):
    Reading.objects.filter(meter=meters[0], period=SEP).update(t2=1999)


def values_swapped_between_readings(meters):
    """A row's hash is a sum of its columns' (PostgreSQL's hash_record_extended): summed, the
    rows' hashes would not see values swapped between rows."""
    september, november = Reading.objects.filter(meter=meters[0], period__in=[SEP, NOV]).order_by("period")
    Reading.objects.filter(pk=september.pk).update(t1=november.t1)
    Reading.objects.filter(pk=november.pk).update(t1=september.t1)


def a_replacement_undone(meters):
    Reading.objects.filter(meter=meters[0], replaced_by__isnull=False).update(replaced_by=None)


def a_source_changed(meters):
    Reading.objects.filter(meter=meters[0], period=NOV).update(source=Reading.Source.PORTAL)


def a_meter_removed(meters):
    Meter.objects.filter(pk=meters[0].pk).update(is_active=False, removed_on=date(2026, 11, 25))


def a_service_renamed(meters):
    Service.objects.filter(pk=meters[0].service_id).update(name="Электроэнергия (день/ночь)")


def the_regions_window_moved(meters):
    Region.objects.filter(pk=meters[1].account.region_id).update(readings_from_day=10, readings_to_day=20)


# The database's digest reads only what the tables show (docs/performance.md, step 24): each of
# these changes one such column, and each must show on the next view.
def a_day_moved(meters):
    Reading.objects.filter(meter=meters[0], period=NOV).update(taken_at=F("taken_at") - timedelta(days=3))


def the_replacement_sent_later(meters):
    again = Reading.objects.get(meter=meters[0], period=OCT, replaced_by__isnull=True)
    Reading.objects.filter(pk=again.pk).update(taken_at=F("taken_at") + timedelta(hours=5))


def a_month_corrected(meters):
    Reading.objects.filter(meter=meters[0], period=NOV).update(period=date(2026, 12, 1))


def a_serial_corrected(meters):
    Meter.objects.filter(pk=meters[0].pk).update(serial="2222")


def the_verification_date_moved(meters):
    Meter.objects.filter(pk=meters[0].pk).update(verification_due=date(2035, 1, 1))


def the_unit_renamed(meters):
    Service.objects.filter(pk=meters[0].service_id).update(unit="кВт⋅ч")


def the_meters_reordered(meters):
    """Two active meters of one service are ordered by their installation, newest first: the
    one never read, installed after the other, comes first."""
    Meter.objects.filter(pk=meters[1].pk).update(installed_on=date(2026, 1, 1))


def a_zone_added(meters):
    Meter.objects.filter(pk=meters[0].pk).update(zones=3)


CHANGES = [
    a_reading_submitted,
    a_value_corrected,
    values_swapped_between_readings,
    a_replacement_undone,
    a_source_changed,
    a_meter_removed,
    a_service_renamed,
    the_regions_window_moved,
    a_day_moved,
    the_replacement_sent_later,
    a_month_corrected,
    a_serial_corrected,
    the_verification_date_moved,
    the_unit_renamed,
    the_meters_reordered,
    a_zone_added,
]


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_of_what_it_shows_shows_at_once(page, meters, change):
    before = tables(page())
    assert not drawn(page())
    change(meters)
    after = page()
    assert drawn(after) and tables(after) != before


def test_the_successors_serial_shows_at_once(page, meters, sverdlovsk):
    """The meter put in a removed one's place, here on another account: only its serial shows."""
    successor = make_meter(make_account(sverdlovsk, "660100000066", house="66"), serial="777")
    Meter.objects.filter(pk=meters[0].pk).update(is_active=False, replaced_by=successor)
    assert "заменён счётчиком № 777" in tables(page())
    Meter.objects.filter(pk=successor.pk).update(serial="778")
    assert "заменён счётчиком № 778" in tables(page())


def test_a_narrower_display_shows_at_once(page, meters):
    """Consumption over a wrap («через ноль») depends on the display's digits alone."""
    Reading.objects.filter(meter=meters[0], period=NOV).update(t1=100)
    assert "994990" in tables(page())  # 100 − 5110 + 10⁶
    Meter.objects.filter(pk=meters[0].pk).update(digits=4)
    assert "4990" in tables(page()) and "994990" not in tables(page())


def test_a_new_meter_shows_at_once(page, account):
    page()
    make_meter(account, serial="444")
    assert "Счётчик № 444" in tables(page())


def test_the_digest_is_the_accounts_own(customer, account, meters, sverdlovsk):
    if connection.vendor != "postgresql":
        pytest.skip("the rows digested by the database are PostgreSQL's (elsewhere: by Python)")
    other = make_account(sverdlovsk, "660100000055", house="5")
    stranger = make_customer("+79120000055", other)
    theirs = make_meter(other, zones=2, serial="222")  # read alike, of another account
    add_reading(theirs, SEP, 5000, 2000)

    def digests() -> tuple[str, str]:
        ours = customer_history_account(customer, account.pk).readings_digest
        return ours, customer_history_account(stranger, other.pk).readings_digest

    before = digests()
    assert before[0] and before[0] != before[1]
    Reading.objects.filter(meter=theirs).update(t1=4999)
    after = digests()
    assert after[0] == before[0] and after[1] != before[1]


def test_a_hit_reads_the_user_and_the_account_only(page):
    page()
    if connection.vendor != "postgresql":
        pytest.skip("elsewhere the rows are read to be digested")
    with CaptureQueriesContext(connection) as captured:
        assert not drawn(page())
    # The session aside (from the database or from Redis, as configured).
    statements = [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]
    assert len(statements) == 2, statements  # the user, the account with the digest


def test_a_customer_never_gets_anothers_history(client, page, account, sverdlovsk):
    page()  # hers, kept
    other = make_account(sverdlovsk, "660100000055", house="5")
    make_meter(other, serial="555")
    stranger = make_customer("+79120000055", other)
    customer_login(client, stranger)
    assert client.get(reverse("portal:readings_history", args=[account.pk])).status_code == 404
    theirs = client.get(reverse("portal:readings_history", args=[other.pk])).content.decode()
    assert "Счётчик № 555" in theirs and "Счётчик № 222" not in theirs
