"""The kind `readings` (formats/readings.md): validation, a reading counted once however often it
arrives, a changed one refused, all or nothing, a billing reading replacing the month's earlier
one (both kept), and the history page showing an imported reading with its source."""

from datetime import date, datetime
import io

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.exchange import kinds
from kabinet.exchange.models import BillingReading, ImportBatch
from kabinet.exchange.runner import run_import
from kabinet.readings.models import Reading
from tests.factories import add_reading, csv_bytes, customer_login, make_account, make_customer, make_meter

OK = ImportBatch.Status.DONE
REJECTED = ImportBatch.Status.REJECTED
HEADER = "region,account,service,serial,month,t1,t2,t3,source,taken_at,reading_id"
OCT = date(2026, 10, 1)
ROWS = [
    "66,660100000001,electricity,01234567,2026-10,1200,,,phone,2026-10-24T10:15,PH-1",
    "66,660100000002,electricity,777,2026-10,5000,2000,,inspector,2026-10-22 09:00:00,IN-7",
    "66,660100000003,electricity,888,2026-10,100,200,300,smart,2026-10-31T23:59:00+05:00,SM-3",
]


@pytest.fixture
def meters(sverdlovsk):
    first = make_account(sverdlovsk, "660100000001")
    second = make_account(sverdlovsk, "660100000002", house="3")
    third = make_account(sverdlovsk, "660100000003", house="4")
    return [make_meter(first), make_meter(second, zones=2, serial="777"), make_meter(third, zones=3, serial="888")]


@pytest.fixture
def load(meters):
    def load(*rows: str, header: str = HEADER, data: bytes | None = None, name="readings.csv", **options):
        content = csv_bytes(*rows, header=header) if data is None else data
        return run_import("readings", io.BytesIO(content), file_name=name, source="tests", **options)

    return load


def state():
    return sorted(
        Reading.objects.values_list(
            *("meter__serial", "period", "t1", "t2", "t3", "source"),
            *("billing__source_id", "replaced_by__billing__source_id"),
        ),
        key=str,
    )


def rejected(batch):
    return [(row.line, row.reason) for row in batch.rejected_rows.all()]


def counts(batch):
    return batch.rows_read, batch.rows_created, batch.rows_updated, batch.rows_unchanged


def test_registered_kind_and_command(load, tmp_path):
    assert kinds.get("readings").title == "Показания из биллинга"
    path = tmp_path / "readings.csv"
    path.write_bytes(csv_bytes(*ROWS, header=HEADER))
    call_command("import_readings", str(path), "--dry-run", stdout=io.StringIO())
    assert not Reading.objects.exists()
    call_command("import_readings", str(path), stdout=io.StringIO())
    assert Reading.objects.count() == 3


def test_loads_readings_with_sources(load):
    batch = load(*ROWS)
    assert batch.status == OK, batch.message
    assert counts(batch) == (3, 3, 0, 0)
    assert state() == [
        ("01234567", OCT, 1200, None, None, "phone", "PH-1", None),
        ("777", OCT, 5000, 2000, None, "inspector", "IN-7", None),
        ("888", OCT, 100, 200, 300, "smart_meter", "SM-3", None),
    ]
    phone = Reading.objects.get(billing__source_id="PH-1")
    assert phone.taken_at == timezone.make_aware(datetime(2026, 10, 24, 10, 15))  # local time without an offset
    assert phone.submitted_by is None and phone.get_source_display() == "По телефону"
    smart = Reading.objects.get(billing__source_id="SM-3")
    assert timezone.localtime(smart.taken_at).replace(tzinfo=None) == datetime(2026, 10, 31, 23, 59)


def test_same_rows_again_are_unchanged(load):
    assert load(*ROWS).status == OK
    before = state()
    again = load(*ROWS, force=True)
    assert again.status == OK, again.message
    assert counts(again) == (3, 0, 0, 3)
    assert state() == before


def test_a_reading_twice_in_a_file_is_counted_once(load):
    batch = load(ROWS[0], ROWS[1], ROWS[0])
    assert batch.status == OK, batch.message
    assert counts(batch) == (3, 2, 0, 1)
    assert BillingReading.objects.count() == 2


@pytest.mark.parametrize(
    "row, reason",
    [
        (
            "99,660100000001,electricity,01234567,2026-09,1,,,phone,2026-10-24T10:15,X",
            "region: «99» — неизвестный код региона",
        ),
        ("66,,electricity,01234567,2026-09,1,,,phone,2026-10-24T10:15,X", "account: «» — не номер лицевого счёта"),
        (
            "66,660100000001,gas,01234567,2026-09,1,,,phone,2026-10-24T10:15,X",
            "service: «gas» — неизвестный код услуги",
        ),
        ("66,660100000001,electricity,,2026-09,1,,,phone,2026-10-24T10:15,X", "serial: заводской номер пуст"),
        ("66,660100000001,electricity,01234567,10.2026,1,,,phone,2026-10-24T10:15,X", "month: «10.2026» — ожидается"),
        ("66,660100000001,electricity,01234567,2026-13,1,,,phone,2026-10-24T10:15,X", "month: «2026-13» — ожидается"),
        ("66,660100000001,electricity,01234567,2099-01,1,,,phone,2026-10-24T10:15,X", "месяц ещё не наступил"),
        ("66,660100000001,electricity,01234567,2026-10,,,,phone,2026-10-24T10:15,X", "t1: не заполнено показание"),
        ("66,660100000001,electricity,01234567,2026-10,-5,,,phone,2026-10-24T10:15,X", "t1: «-5» — ожидается целое"),
        ("66,660100000001,electricity,01234567,2026-09,1.5,,,phone,2026-10-24T10:15,X", "t1: «1.5» — ожидается"),
        ("66,660100000001,electricity,01234567,2026-09,1,,x,phone,2026-10-24T10:15,X", "t3: «x» — ожидается"),
        ("66,660100000001,electricity,01234567,2026-09,1,,3,phone,2026-10-24T10:15,X", "t3: «3» — заполнено, а t2 нет"),
        ("66,660100000001,electricity,01234567,2026-09,1,,,email,2026-10-24T10:15,X", "source: «email» — ожидается"),
        ("66,660100000001,electricity,01234567,2026-09,1,,,phone,24.10.2026,X", "taken_at: «24.10.2026» — ожидается"),
        ("66,660100000001,electricity,01234567,2026-09,1,,,phone,2026-02-30T10:00,X", "taken_at: «2026-02-30T10:00»"),
        ("66,660100000001,electricity,01234567,2026-09,1,,,phone,2099-01-01T10:00,X", "время ещё не наступило"),
        ("66,660100000001,electricity,01234567,2026-09,1,,,phone,2026-10-24T10:15,", "reading_id: не заполнен"),
        ("66,660100000001,electricity,01234567,2026-09,1,,,phone,2026-10-24T10:15," + "X" * 65, "reading_id: длиннее"),
        ("66,660100000009,electricity,01234567,2026-09,1,,,phone,2026-10-24T10:15,X", "счёт 660100000009 не найден"),
        ("66,660100000001,electricity,999,2026-09,1,,,phone,2026-10-24T10:15,X", "нет прибора № 999"),
        ("66,660100000001,electricity,01234567,2026-09,1,2,,phone,2026-10-24T10:15,X", "зон: 1 — заполните t1,"),
        ("66,660100000002,electricity,777,2026-09,1,,,phone,2026-10-24T10:15,X", "тарифных зон: 2 — заполните t1 и t2"),
        ("66,660100000003,electricity,888,2026-09,1,2,,phone,2026-10-24T10:15,X", "тарифных зон: 3 — заполните t1, t2"),
        ("66,660100000001,electricity,01234567,2026-09,1000000,,,phone,2026-10-24T10:15,X", "больше разрядности"),
    ],
)
def test_a_bad_row_is_refused_in_russian(load, row, reason):
    batch = load(ROWS[0], row)
    assert batch.status == REJECTED
    assert [line for line, _ in rejected(batch)] == [3]
    assert reason in rejected(batch)[0][1]
    assert not Reading.objects.exists()  # all or nothing: the good first row is not loaded either


def test_capacity_is_the_meters_digits(load, meters):
    meters[0].digits = 7
    meters[0].save()
    batch = load("66,660100000001,electricity,01234567,2026-10,9999999,,,smart,2026-10-24T10:15,X")
    assert batch.status == OK, batch.message


def test_same_id_with_other_values_in_the_file(load):
    batch = load(ROWS[0], ROWS[0].replace(",1200,", ",1201,"))
    assert batch.status == REJECTED
    assert rejected(batch) == [(3, "показание PH-1 уже есть в файле, в строке 2, с другими данными")]


def test_two_readings_of_a_meter_for_a_month_in_one_file(load):
    batch = load(ROWS[0], ROWS[0].replace("PH-1", "PH-2"))
    assert batch.status == REJECTED
    assert "показание прибора № 01234567 за 10.2026 уже есть в файле, в строке 2 (номер PH-1)" in rejected(batch)[0][1]


def test_a_loaded_reading_with_other_values_is_an_error_not_an_overwrite(load):
    assert load(*ROWS).status == OK
    before = state()
    batch = load(ROWS[0].replace(",1200,", ",1300,"))
    assert batch.status == REJECTED
    assert rejected(batch) == [
        (2, "показание PH-1 уже загружено: счёт 660100000001, прибор № 01234567, 10.2026 — в файле другие данные")
    ]
    assert state() == before


def test_a_billing_reading_replaces_the_months_earlier_one(load, meters):
    portal = add_reading(meters[0], OCT, 1100)
    older = add_reading(meters[0], date(2026, 9, 1), 1000)
    batch = load(ROWS[0])
    assert batch.status == OK, batch.message
    assert counts(batch) == (1, 1, 0, 0)
    assert "заменено: 1" in batch.message
    portal.refresh_from_db()
    older.refresh_from_db()
    new = Reading.objects.get(billing__source_id="PH-1")
    assert portal.replaced_by == new and older.replaced_by is None
    # A later billing reading for the same month replaces the billing one in its turn.
    assert load(ROWS[0].replace("PH-1", "PH-2").replace(",1200,", ",1250,")).status == OK
    new.refresh_from_db()
    assert new.replaced_by.billing.source_id == "PH-2"
    assert Reading.objects.filter(meter=meters[0], period=OCT, replaced_by__isnull=True).count() == 1
    # The first file again changes nothing: PH-1 is known, nothing is replaced twice.
    again = load(ROWS[0], force=True)
    assert counts(again) == (1, 0, 0, 1)


def test_history_shows_an_imported_reading_with_its_source(load, meters, client):
    add_reading(meters[0], OCT, 1100)
    assert load(*ROWS).status == OK
    customer = make_customer("+79120000001", meters[0].account)
    customer_login(client, customer)
    page = client.get(reverse("portal:readings_history", args=[meters[0].account_id])).content.decode()
    assert "По телефону" in page and "1200" in page
    assert "Клиент через личный кабинет" in page  # the replaced reading stays in the history


def test_dry_run_changes_nothing(load):
    batch = load(*ROWS, dry_run=True)
    assert batch.status == OK and batch.rows_created == 3
    assert not Reading.objects.exists() and not BillingReading.objects.exists()


def test_zone_columns_may_be_left_out(load):
    batch = load(
        "66,660100000001,electricity,01234567,2026-10,1200,phone,2026-10-24T10:15,PH-1",
        header="region,account,service,serial,month,t1,source,taken_at,reading_id",
    )
    assert batch.status == OK, batch.message
    assert counts(batch) == (1, 1, 0, 0)
