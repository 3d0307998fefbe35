"""The exchange pipeline through the kind `accounts`: validation, idempotence, all or nothing,
counts and replacements (formats/accounts.md)."""

import pytest

from kabinet.billing.models import PersonalAccount, Premises
from kabinet.exchange import kinds
from kabinet.exchange.kinds import Column, Kind
from kabinet.exchange.models import ImportBatch
from tests.factories import csv_bytes

OK = ImportBatch.Status.DONE
ROWS = [
    "66,660100000002,Екатеринбург,ул. Малышева,12а,6,closed,660100000003,2025-12-31",
    "66,660100000001,Екатеринбург,ул. Малышева,12а,5,active,,",
    "66,660100000003,Екатеринбург,ул. Малышева,12а,6,,,",
]


def state():
    return sorted(
        PersonalAccount.objects.values_list(
            "number", "status", "closed_on", "replaced_by__number", "premises__house", "premises__flat"
        )
    )


def rejected(batch):
    return [(row.line, row.reason) for row in batch.rejected_rows.all()]


# --- counts, replacements -----------------------------------------------------------------
def test_loads_and_counts_with_a_replacement_further_down(load, sverdlovsk):
    batch = load(*ROWS)
    assert batch.status == OK, batch.message
    assert (batch.rows_read, batch.rows_created, batch.rows_updated, batch.rows_unchanged) == (3, 3, 0, 0)
    closed = PersonalAccount.objects.get(number="660100000002")
    assert closed.replaced_by.number == "660100000003" and str(closed.closed_on) == "2025-12-31"
    assert closed.premises == PersonalAccount.objects.get(number="660100000003").premises
    assert Premises.objects.count() == 2
    assert batch.message.startswith("Загружено: прочитано строк 3, создано 3, обновлено 0, без изменений 0")
    assert "объектов (адресов) создано 2." in batch.message  # two lines of one address: one premises
    assert batch.finished_at and len(batch.checksum) == 64


def test_updates_are_counted_and_unchanged_rows_are_not_rewritten(load):
    load(*ROWS)
    before = state()
    batch = load(
        "66,660100000001,Екатеринбург,ул. Малышева,12а,7,active,,",  # moved to flat 7
        "66,660100000002,Екатеринбург,ул. Малышева,12а,6,active,,",  # reopened: loses replaced_by
        "66,660100000003,Екатеринбург,ул. Малышева,12а,6,,,",  # unchanged
        "66,660100000004,Екатеринбург,ул. Малышева,1,1,closed,660100000003,2026-01-31",  # new, linked
    )
    assert batch.status == OK, batch.message
    assert (batch.rows_created, batch.rows_updated, batch.rows_unchanged) == (1, 2, 1)
    reopened = PersonalAccount.objects.get(number="660100000002")
    assert reopened.is_active and reopened.replaced_by is None
    assert PersonalAccount.objects.get(number="660100000004").replaced_by.number == "660100000003"
    moved = PersonalAccount.objects.get(number="660100000001").premises
    assert (moved.house, moved.flat) == ("12а", "7")
    assert PersonalAccount.objects.get(number="660100000003").premises.flat == "6"
    assert state() != before


def test_a_link_alone_counts_as_an_update(load):
    load(
        "66,660100000001,Екатеринбург,ул. Малышева,1,1,closed,,2025-12-31",
        "66,660100000009,Екатеринбург,ул. Малышева,1,2,,,",
    )
    batch = load(
        "66,660100000001,Екатеринбург,ул. Малышева,1,1,closed,660100000009,2025-12-31",
        "66,660100000009,Екатеринбург,ул. Малышева,1,2,,,",
    )
    assert (batch.rows_created, batch.rows_updated, batch.rows_unchanged) == (0, 1, 1)


# --- idempotence --------------------------------------------------------------------------
def test_the_same_file_twice_is_a_duplicate_that_changes_nothing(load):
    first = load(*ROWS)
    before = state()
    again = load(*ROWS, name="accounts-again.csv")
    assert again.status == ImportBatch.Status.DUPLICATE
    assert again.message.startswith("Этот файл уже загружен") and f"№ {first.pk}" in again.message
    assert again.rows_read == 0 and state() == before


def test_the_same_rows_in_a_new_file_are_all_unchanged(load):
    load(*ROWS)
    before = state()
    batch = load(*reversed(ROWS))  # another checksum, the same data
    assert batch.status == OK
    assert (batch.rows_created, batch.rows_updated, batch.rows_unchanged) == (0, 0, 3)
    assert state() == before


def test_force_and_dry_run_are_not_duplicates(load):
    load(*ROWS, dry_run=True)
    assert not PersonalAccount.objects.exists()
    assert load(*ROWS).status == OK  # a dry run does not count as loaded
    forced = load(*ROWS, force=True)
    assert forced.status == OK and forced.rows_unchanged == 3


# --- validation: every rejected row with its line, nothing merged ---------------------------
@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("99,660100000004,Екатеринбург,ул. Малышева,1,1,,,", "region: «99» — неизвестный код региона"),
        (
            "66,12345,Екатеринбург,ул. Малышева,1,1,,,",
            "number: «12345» — номер не подходит региону «Свердловский» (12 цифр",
        ),
        ("66,660100000005,Екатеринбург,,1,1,,,", "не заполнены city, street или house"),
        ("66,660100000006,Екатеринбург,ул. Малышева,1,1,frozen,,", "status: «frozen» — ожидается active или closed"),
        (
            "66,660100000007,Екатеринбург,ул. Малышева,1,1,active,660100000001,",
            "replaced_by: «660100000001» — указан у действующего",
        ),
        ("66,660100000009,Екатеринбург,ул. Малышева,1,1,closed,,31.12.2025", "closed_on: «31.12.2025»"),
        ("66,660100000009,Екатеринбург,ул. Малышева", "полей в строке: 4, а по заголовку нужно не меньше 9"),
        (
            "66,660100000008,Екатеринбург,ул. Малышева,1,1,closed,660199999999,",
            "replaced_by: счёт 660199999999 не найден",
        ),
        ("66,660100000001,Екатеринбург,ул. Малышева,1,9,,,", "счёт 660100000001 уже есть в файле, в строке 2"),
    ],
)
def test_one_bad_row_rejects_the_whole_file(load, row, reason):
    batch = load("66,660100000001,Екатеринбург,ул. Малышева,12а,5,,,", row)
    assert batch.status == ImportBatch.Status.REJECTED
    [(line, text)] = rejected(batch)
    assert line == 3 and text.startswith(reason), text
    assert batch.rows_rejected == 1 and batch.rows_created == 0
    assert batch.message.startswith("Файл не загружен, ничего не изменено: отклонено строк 1")
    assert batch.rejected_rows.get().raw == row
    assert not PersonalAccount.objects.exists() and not Premises.objects.exists()


def test_all_bad_rows_are_listed(load):
    batch = load("99,1,a,b,c,,,,", "66,660100000001,Екатеринбург,ул. Малышева,12а,5,,,", "66,2,a,b,c,,,,")
    assert [line for line, _ in rejected(batch)] == [2, 4]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("region,number,city,street", "В заголовке нет столбцов: house"),
        ("region;number;city;street;house", "Столбцы разделены точкой с запятой («;»), а нужна запятая"),
        (
            "serial,zones,digits,installed_on",
            "Это не файл вида «Лицевые счета»: в заголовке нет ни одного из его столбцов",
        ),
        ("region,number,number,city,street,house", "В заголовке дважды встречаются столбцы: number"),
    ],
)
def test_header_problems(load, header, message):
    batch = load("66,660100000001,Екатеринбург,ул. Малышева,12а,5", header=header)
    assert batch.status == ImportBatch.Status.REJECTED
    assert message in batch.message
    assert rejected(batch)[0][0] == 1


def test_a_file_of_another_kind_is_named(load):
    @kinds.register
    class Meters(Kind):
        name = "test_meters"
        title = "Приборы учёта"
        columns = (Column("account"), Column("serial"), Column("zones"))
        stage_columns = ()

    try:
        batch = load("660100000001,123,1", header="account,serial,zones")
    finally:
        kinds._KINDS.pop("test_meters")
    assert "Это файл вида «Приборы учёта», а загружается «Лицевые счета»" in batch.message


def test_wrong_encoding_is_named_with_its_line(load):
    data = csv_bytes("66,660100000001,Екатеринбург,ул. Малышева,12а,5,,,", encoding="cp1251")
    batch = load(data=data)
    assert batch.status == ImportBatch.Status.REJECTED
    assert "Файл не в кодировке UTF-8: в строке 2" in batch.message
    assert not PersonalAccount.objects.exists()


def test_bom_and_crlf_and_optional_columns_are_accepted(load):
    data = "\ufeffnumber,region,house,street,city\r\n660100000001,66,12а,ул. Малышева,Екатеринбург\r\n".encode()
    batch = load(data=data)
    assert batch.status == OK, batch.message
    account = PersonalAccount.objects.get()
    assert account.is_active and account.premises.flat == ""


def test_an_empty_file(load):
    batch = load(data=b"")
    assert batch.status == ImportBatch.Status.REJECTED and "Файл пуст" in batch.message


# --- all or nothing under a fault -----------------------------------------------------------
def test_a_fault_mid_merge_keeps_the_previous_state(load, monkeypatch, caplog):
    load(*ROWS)
    before = (state(), Premises.objects.count())
    kind = kinds.get("accounts")
    merge = type(kind).merge

    def failing_merge(self, stage):
        merge(self, stage)  # everything written…
        raise RuntimeError("диск отключён")  # …and then the process fails before the commit

    monkeypatch.setattr(type(kind), "merge", failing_merge)
    batch = load(
        "66,660100000001,Екатеринбург,ул. Ленина,1,1,closed,,2026-01-01", "66,660100000010,Пермь,ул. Ленина,2,2,,,"
    )
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.message.startswith("Загрузка прервана ошибкой на сервере") and batch.finished_at
    assert "диск отключён" in caplog.text and "диск отключён" not in batch.message  # the log has it
    assert (state(), Premises.objects.count()) == before
    monkeypatch.undo()
    assert load("66,660100000001,Екатеринбург,ул. Ленина,1,1,closed,,2026-01-01").status == OK  # not a duplicate


def test_an_interrupt_is_journalled_and_raised(load, monkeypatch):
    def interrupted(self, stage):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(kinds.get("accounts")), "merge", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load(*ROWS)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and not PersonalAccount.objects.exists()


def test_many_rows_go_through_several_chunks(load, monkeypatch):
    monkeypatch.setattr("kabinet.exchange.runner.CHUNK", 7)
    rows = [f"66,6601{n:08d},Екатеринбург,ул. Малышева,{n // 10},{n % 10},,," for n in range(50)]
    batch = load(*rows)
    assert (batch.rows_read, batch.rows_created) == (50, 50)
    assert PersonalAccount.objects.count() == 50 and Premises.objects.count() == 50
