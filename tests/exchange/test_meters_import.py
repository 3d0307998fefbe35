"""The kind `meters` (formats/meters.md): validation, idempotence, all or nothing, and the
replacement of a meter, whose readings stay the account's history."""

from datetime import date
import io

from django.core.management import CommandError, call_command
from django.urls import reverse
import pytest

from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import
from kabinet.readings.models import Meter, Reading
from tests.factories import (
    NOV,
    add_reading,
    csv_bytes,
    customer_login,
    electricity,
    make_account,
    make_customer,
    make_meter,
    monthly,
)

OK = ImportBatch.Status.DONE
REJECTED = ImportBatch.Status.REJECTED
HEADER = "region,account,service,serial,zones,digits,installed_on,verification_due,removed_on,replaced_by"
OLD = "66,660100000001,electricity,111,1,6,2015-03-01,2031-03-01"
OLD_REMOVED = "66,660100000001,electricity,111,1,6,2015-03-01,2031-03-01,2026-10-15,222"
NEW = "66,660100000001,electricity,222,2,7,2026-10-15,2042-10-15,,"


@pytest.fixture
def account(sverdlovsk):
    electricity()
    return make_account(sverdlovsk, "660100000001")


@pytest.fixture
def load(account):
    def load(*rows: str, header: str = HEADER, name: str = "meters.csv", pad: bool = True, **options):
        """Rows may leave out the empty optional columns at the end."""
        width = header.count(",")
        content = csv_bytes(*(row + "," * (width - row.count(",")) if pad else row for row in rows), header=header)
        return run_import("meters", io.BytesIO(content), file_name=name, source="tests", **options)

    return load


def state():
    return sorted(
        Meter.objects.values_list(
            "account__number", "service__code", "serial", "zones", "digits", "installed_on",
            "verification_due", "removed_on", "is_active", "replaced_by__serial",
        )
    )  # fmt: skip


def rejected(batch):
    return [(row.line, row.reason) for row in batch.rejected_rows.all()]


def counts(batch):
    return batch.rows_created, batch.rows_updated, batch.rows_unchanged


# --- loading, counts, idempotence ---------------------------------------------------------
def test_loads_meters_and_counts(load, account):
    batch = load(OLD, "66,660100000001,hot-water,W-1,1,5,2020-01-10,2026-01-10")
    assert batch.status == REJECTED  # no such service yet
    assert rejected(batch) == [(3, "service: «hot-water» — неизвестный код услуги")]
    batch = load(OLD)
    assert batch.status == OK, batch.message
    assert (batch.rows_read, *counts(batch)) == (1, 1, 0, 0)
    meter = Meter.objects.get()
    assert (meter.account, meter.serial, meter.zones, meter.digits) == (account, "111", 1, 6)
    assert (meter.installed_on, meter.verification_due, meter.removed_on) == (date(2015, 3, 1), date(2031, 3, 1), None)
    assert meter.is_active and meter.replaced_by is None


def test_same_rows_again_are_unchanged_and_not_rewritten(load):
    load(OLD_REMOVED, NEW)
    before = state()
    batch = load(NEW, OLD_REMOVED, force=True)  # another order, same rows
    assert batch.status == OK, batch.message
    assert counts(batch) == (0, 0, 2)
    assert state() == before
    assert load(NEW, OLD_REMOVED).status == ImportBatch.Status.DUPLICATE  # the latest file again
    earlier = load(OLD_REMOVED, NEW)  # an earlier file after another one: loaded, nothing changes
    assert earlier.status == OK and counts(earlier) == (0, 0, 2) and state() == before


def test_changes_are_counted_as_updates(load):
    load(OLD)
    batch = load("66,660100000001,electricity,111,1,6,2015-03-01,2035-03-01")  # verified again
    assert counts(batch) == (0, 1, 0)
    assert Meter.objects.get().verification_due == date(2035, 3, 1)


def test_dry_run_changes_nothing(load):
    batch = load(OLD, dry_run=True)
    assert batch.status == OK and counts(batch) == (1, 0, 0)
    assert "Проверка" in batch.message and not Meter.objects.exists()


# --- replacement --------------------------------------------------------------------------
def test_a_replacement_in_one_file_links_and_deactivates(load):
    batch = load(OLD_REMOVED, NEW)
    assert batch.status == OK, batch.message
    assert counts(batch) == (2, 0, 0)  # the link to a meter further down is no update
    old, new = Meter.objects.get(serial="111"), Meter.objects.get(serial="222")
    assert not old.is_active and old.removed_on == date(2026, 10, 15) and old.replaced_by == new
    assert new.is_active and (new.zones, new.digits) == (2, 7)


def test_a_replacement_keeps_the_old_meters_readings_and_history_page(load, account, client):
    load(OLD)
    old = Meter.objects.get()
    readings = monthly(old, (1000,), (150,), months=3, last=date(2026, 10, 1))
    batch = load(OLD_REMOVED, NEW)
    assert batch.status == OK, batch.message
    assert counts(batch) == (1, 1, 0)
    old.refresh_from_db()
    assert not old.is_active and old.replaced_by.serial == "222"
    assert list(Reading.objects.filter(meter=old).order_by("pk")) == readings  # kept, not moved
    new = Meter.objects.get(serial="222")
    add_reading(new, NOV, 10, 5)
    customer = make_customer("+79120000001", account)
    customer_login(client, customer)
    page = client.get(reverse("portal:readings_history", args=[account.pk])).content.decode()
    assert "Счётчик № 222" in page and "Счётчик № 111" in page
    assert "снят 15.10.2026, заменён счётчиком № 222" in page
    for value in ("1000", "1150", "1300"):
        assert f">{value}<" in page


def test_two_active_meters_of_one_service_in_the_file_are_refused_on_both_lines(load):
    batch = load(OLD, NEW)
    assert batch.status == REJECTED
    reason = "у счёта 660100000001 по услуге «Электроснабжение» в файле два действующих прибора: "
    assert rejected(batch) == [
        (2, reason + "№ 111 и № 222 (строка 3); у снятого укажите removed_on"),
        (3, reason + "№ 222 и № 111 (строка 2); у снятого укажите removed_on"),
    ]
    assert not Meter.objects.exists()


def test_a_new_meter_while_an_active_one_is_registered_and_not_in_the_file(load):
    load(OLD)
    batch = load(NEW)
    assert batch.status == REJECTED
    assert rejected(batch) == [
        (
            2,
            "у счёта 660100000001 по услуге «Электроснабжение» уже действует прибор № 111, "
            "которого нет в файле: добавьте его строку с removed_on",
        )
    ]
    assert load("66,660100000001,electricity,222,2,7,2026-10-15,2042-10-15,2026-11-01").status == OK  # removed


def test_meters_are_never_deleted_and_others_stay(load, account):
    make_meter(account, serial="999", is_active=False, removed_on=date(2014, 1, 1))
    load(OLD)
    assert load(OLD_REMOVED, NEW).status == OK
    assert Meter.objects.count() == 3


# --- validation ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("77,660100000001,electricity,1,1,6,2015-03-01,2031-03-01", "region: «77» — неизвестный код региона"),
        ("66,,electricity,1,1,6,2015-03-01,2031-03-01", "account: «» — не номер лицевого счёта"),
        ("66,660100000001,gas,1,1,6,2015-03-01,2031-03-01", "service: «gas» — неизвестный код услуги"),
        ("66,660100000001,electricity,,1,6,2015-03-01,2031-03-01",
         "serial: заводской номер пуст или длиннее 32 знаков"),
        ("66,660100000001,electricity," + "9" * 33 + ",1,6,2015-03-01,2031-03-01",
         "serial: заводской номер пуст или длиннее 32 знаков"),
        ("66,660100000001,electricity,1,4,6,2015-03-01,2031-03-01", "zones: «4» — ожидается целое число от 1 до 3"),
        ("66,660100000001,electricity,1,0,6,2015-03-01,2031-03-01", "zones: «0» — ожидается целое число от 1 до 3"),
        ("66,660100000001,electricity,1,один,6,2015-03-01,2031-03-01",
         "zones: «один» — ожидается целое число от 1 до 3"),
        ("66,660100000001,electricity,1,1,3,2015-03-01,2031-03-01", "digits: «3» — ожидается целое число от 4 до 9"),
        ("66,660100000001,electricity,1,1,10,2015-03-01,2031-03-01", "digits: «10» — ожидается целое число от 4 до 9"),
        ("66,660100000001,electricity,1,1,-6,2015-03-01,2031-03-01", "digits: «-6» — ожидается целое число от 4 до 9"),
        ("66,660100000001,electricity,1,1,6,,2031-03-01", "installed_on: не заполнена дата"),
        ("66,660100000001,electricity,1,1,6,01.03.2015,2031-03-01",
         "installed_on: «01.03.2015» — ожидается дата ГГГГ-ММ-ДД"),
        ("66,660100000001,electricity,1,1,6,2015-03-01,2031-02-30",
         "verification_due: «2031-02-30» — ожидается дата ГГГГ-ММ-ДД"),
        ("66,660100000001,electricity,1,1,6,2015-03-01,", "verification_due: не заполнена дата"),
        ("66,660100000001,electricity,1,1,6,2015-03-01,2014-03-01",
         "verification_due: «2014-03-01» — дата поверки раньше даты установки 2015-03-01"),
        ("66,660100000001,electricity,1,1,6,2015-03-01,2031-03-01,2015-02-28",
         "removed_on: «2015-02-28» — дата снятия раньше даты установки 2015-03-01"),
        ("66,660100000001,electricity,1,1,6,2015-03-01,2031-03-01,вчера",
         "removed_on: «вчера» — ожидается дата ГГГГ-ММ-ДД"),
        ("66,660100000001,electricity,1,1,6,2015-03-01,2031-03-01,,2",
         "replaced_by: «2» — указан у неснятого прибора (нет removed_on)"),
        ("66,660100000001,electricity,1,1,6,2015-03-01,2031-03-01,2020-01-01,1",
         "replaced_by: «1» — прибор не может заменять сам себя"),
        ("66,660100000001,electricity,1,1,6,2015-03-01", "полей в строке: 7, а по заголовку нужно не меньше 10"),
    ],
)  # fmt: skip
def test_a_wrong_row_is_refused_with_its_reason(load, row, reason):
    batch = load(row, pad=not reason.startswith("полей"))
    assert batch.status == REJECTED
    assert rejected(batch) == [(2, reason)]


def test_removal_on_the_installation_day_is_allowed(load):
    assert load("66,660100000001,electricity,1,1,6,2015-03-01,2031-03-01,2015-03-01").status == OK


def test_checks_over_the_whole_file(load, sverdlovsk):
    batch = load(
        OLD,
        "66,660100000001,electricity,111,1,6,2016-03-01,2031-03-01,2020-01-01",  # the same meter again
        "66,660100000099,electricity,5,1,6,2015-03-01,2031-03-01",  # no such account
        "66,660100000001,electricity,7,1,6,2015-03-01,2031-03-01,2020-01-01,404",  # no such replacement
    )
    assert batch.status == REJECTED
    assert rejected(batch) == [
        (3, "прибор № 111 счёта 660100000001 уже есть в файле, в строке 2"),
        (4, "лицевой счёт 660100000099 не найден в регионе «Свердловский»"),
        (5, "replaced_by: прибор № 404 не найден ни в файле, ни у счёта 660100000001 по этой услуге"),
    ]


def test_all_or_nothing_with_one_bad_row(load):
    load(OLD)
    before = state()
    batch = load(OLD_REMOVED, NEW, "66,660100000001,electricity,333,9,6,2015-03-01,2031-03-01,2020-01-01")
    assert batch.status == REJECTED and batch.rows_rejected == 1
    assert state() == before
    assert Meter.objects.get().is_active


def test_the_command(tmp_path, account, capsys):
    path = tmp_path / "meters.csv"
    path.write_bytes(csv_bytes(OLD_REMOVED, NEW, header=HEADER))
    call_command("import_meters", path, "--no-progress")
    assert "создано 2" in capsys.readouterr().out
    path.write_bytes(csv_bytes(OLD, NEW, header=HEADER.replace(",removed_on,replaced_by", "")))
    with pytest.raises(CommandError) as error:
        call_command("import_meters", path, "--no-progress")
    assert error.value.returncode == 2
    assert "строка 3: у счёта 660100000001" in capsys.readouterr().err


def _peak_of_checking(rows: int, region_id: int, service_id: int) -> int:
    """Peak Python memory while a file of `rows` lines, every line wrong, is checked."""
    import tracemalloc

    from kabinet.exchange import kinds
    from kabinet.exchange.staging import Stage

    stage = Stage(kinds.get("meters"))
    stage.create()
    # The same unknown account, serial and active meter on every line: three problems a line.
    stage.write([(n, region_id, "669999999999", service_id, "SN-1", 1, 6, None, None, None, "") for n in range(rows)])
    stage.finish()
    tracemalloc.start()
    try:
        counted = sum(1 for _ in stage.kind.check(stage))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        stage.drop()
    assert counted >= 2 * rows
    return peak


def test_the_check_streams_its_problems_memory_does_not_grow_with_the_file(sverdlovsk):
    service = electricity()
    small = _peak_of_checking(3_000, sverdlovsk.pk, service.pk)
    large = _peak_of_checking(12_000, sverdlovsk.pk, service.pk)
    assert large < 2 * small, (small, large)


def test_the_check_yields_its_problems_in_line_order(load, account):
    batch = load(
        "66,660100000001,electricity,SN-1,1,6",
        "66,669999999999,electricity,SN-2,1,6",
        "66,660100000001,electricity,SN-1,1,6",
    )
    lines = [row.line for row in batch.rejected_rows.all()]
    assert lines == sorted(lines) and len(lines) >= 3
