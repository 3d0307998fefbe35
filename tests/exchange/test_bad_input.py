"""Bad input, kind by kind (issue 12): every file-level fault of every kind is refused whole with
a Russian reason on a numbered line, a row that only a check in SQL can refuse leaves the
previous state, a database fault in the middle of a merge leaves the previous state, and a
month billing has closed is refused where it means rewriting a closed month (docs/exchange.md,
«Bad input», maps each case to its test)."""

from dataclasses import dataclass
from datetime import date
import io
import re

from django.db import connection
import pytest

from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount, Premises, Region
from kabinet.exchange import kinds
from kabinet.exchange.models import BillingReading, ImportBatch
from kabinet.exchange.runner import run_import
from kabinet.readings.models import Meter, Reading
from tests.factories import ACCOUNTS_HEADER, billed_services, make_account, make_meter

REJECTED, FAILED, OK = ImportBatch.Status.REJECTED, ImportBatch.Status.FAILED, ImportBatch.Status.DONE
NOT_LOADED = "Файл не загружен, ничего не изменено: "
CYRILLIC = re.compile("[а-яА-ЯёЁ]")


@dataclass(frozen=True)
class Case:
    """A kind's files: `first` loads into the world; `second` changes what `first` loaded (an
    update, a new row), its line 3 valid for everything but a database trigger on `table` when
    `condition` holds; `unresolved` (put in at line 3) is a row only a check in SQL refuses,
    naming `value`; `closed` is a row of a month billing has closed by 2026-10."""

    header: str
    first: tuple[str, ...]
    second: tuple[str, str, str]
    table: str
    condition: str
    unresolved: str
    value: str  # what the reason for `unresolved` names
    closed: str


CASES = {
    "accounts": Case(
        header=ACCOUNTS_HEADER,
        first=("66,660100000004,Екатеринбург,ул. Ленина,1,1,,,", "66,660100000005,Екатеринбург,ул. Ленина,1,2,,,"),
        second=(
            "66,660100000006,Екатеринбург,ул. Ленина,2,1,,,",  # new premises and account
            "66,660100000004,Екатеринбург,ул. Ленина,1,7,,,",  # moved: the UPDATE faults
            "66,660100000005,Екатеринбург,ул. Ленина,1,2,closed,660100000006,2026-11-01",
        ),
        table=PersonalAccount._meta.db_table,
        condition="NEW.number = '660100000004'",
        unresolved="66,660100000009,Екатеринбург,ул. Ленина,1,9,closed,660199999999,2026-11-01",
        value="660199999999",
        closed="",
    ),
    "meters": Case(
        header="region,account,service,serial,zones,digits,installed_on,verification_due,removed_on,replaced_by",
        first=(
            "66,660100000003,electricity,M-1,1,6,2020-01-01,2032-01-01,,",
            "66,660100000003,hot-water,W-1,1,5,2020-01-01,2026-01-01,,",
        ),
        second=(
            "66,660100000003,electricity,M-2,2,7,2026-11-01,2042-11-01,,",  # new: inserted first
            "66,660100000003,electricity,M-1,1,6,2020-01-01,2032-01-01,2026-11-01,M-2",  # removed: the UPDATE faults
            "66,660100000003,hot-water,W-1,1,5,2020-01-01,2032-01-01,,",  # verified again
        ),
        table=Meter._meta.db_table,
        condition="NEW.serial = 'M-1'",
        unresolved="66,660100000099,electricity,X-1,1,6,2020-01-01,2032-01-01,,",
        value="660100000099",
        closed="",
    ),
    "payments": Case(
        header="region,account,paid_on,amount,channel,payment_id",
        first=("66,660100000001,2026-10-05,1000.00,bank,SB-1", "66,660100000002,2026-10-06,50.00,post,RP-1"),
        second=(
            "66,660100000002,2026-11-02,100.00,online,SBP-1",
            "66,660100000001,2026-11-03,777.00,bank,SB-2",  # rebuilding the month balance faults
            "66,660100000001,2026-10-05,1000.00,bank,SB-1",  # a repeat
        ),
        table=MonthBalance._meta.db_table,
        condition="NEW.paid = 777",
        unresolved="66,660100000099,2026-11-03,10.00,bank,X-1",
        value="660100000099",
        closed="66,660100000001,2026-10-20,10.00,bank,LATE-1",
    ),
    "readings": Case(
        header="region,account,service,serial,month,t1,t2,t3,source,taken_at,reading_id",
        first=(
            "66,660100000001,electricity,01234567,2026-10,1200,,,phone,2026-10-24T10:15,PH-1",
            "66,660100000002,electricity,777,2026-10,5000,,,inspector,2026-10-22T09:00,IN-1",
        ),
        second=(
            "66,660100000002,electricity,777,2026-11,5100,,,smart,2026-11-20T09:00,SM-1",
            "66,660100000001,electricity,01234567,2026-10,1250,,,phone,2026-10-25T10:15,PH-2",  # replaces PH-1: faults
            "66,660100000001,electricity,01234567,2026-11,1300,,,smart,2026-11-20T10:15,SM-2",
        ),
        table=Reading._meta.db_table,
        condition="NEW.replaced_by_id IS NOT NULL",
        unresolved="66,660100000001,electricity,999,2026-11,1,,,phone,2026-11-20T10:00,X-1",
        value="999",
        closed="66,660100000001,electricity,01234567,2026-09,1100,,,inspector,2026-09-24T10:15,IN-9",
    ),
    "accruals": Case(
        header="region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason",
        first=(
            "66,660100000001,2026-10,electricity,1,150,6.7100,1006.50,,",
            "66,660100000001,2026-10,electricity,2,70,3.3800,236.60,,",
        ),
        second=(
            "66,660100000002,2026-10,hot-water,,3.215,308.8900,993.08,,",  # new
            "66,660100000001,2026-10,electricity,1,777,6.7100,5213.67,,",  # changed: the UPDATE faults
            "66,660100000001,2026-11,electricity,1,100,6.7100,671.00,,",  # zone 2 of October is deleted
        ),
        table=Accrual._meta.db_table,
        condition="NEW.volume = 777",
        unresolved="66,660100000099,2026-10,electricity,,1,1,1.00,,",
        value="660100000099",
        closed="66,660100000001,2026-10,hot-water,,3.215,308.8900,993.08,,",
    ),
    "balances": Case(
        header="region,account,month,opening,accrued,paid,closing",
        first=("66,660100000001,2026-10,0,1500.00,1000.00,500.00", "66,660100000002,2026-10,-10.00,0.00,0,-10"),
        second=(
            "66,660100000001,2026-10,0,1600.00,1000.00,600.00",  # changed: updated first
            "66,660100000002,2026-11,0,777,0,777",  # new: the INSERT faults
            "66,660100000001,2026-11,600.00,100,0,700.00",
        ),
        table=MonthBalance._meta.db_table,
        condition="NEW.closing = 777",
        unresolved="66,660100000099,2026-10,0,1,0,1",
        value="660100000099",
        closed="66,660100000001,2026-09,0,100.00,0,100.00",
    ),
}
KINDS = list(CASES)
assert sorted(KINDS) == sorted(kinds.BUILTIN)  # a new kind gets its case here


@pytest.fixture
def world(sverdlovsk):
    """Three accounts; a meter on the first two (electricity), none on the third."""
    billed_services()
    first, second, _ = (make_account(sverdlovsk, f"66010000000{n}", house=str(n)) for n in (1, 2, 3))
    make_meter(first)
    make_meter(second, serial="777")
    return sverdlovsk


def load(kind: str, data: bytes, **options) -> ImportBatch:
    return run_import(kind, io.BytesIO(data), file_name=f"{kind}.csv", source="tests", **options)


def text(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


def snapshot() -> dict:
    """Every row of every table an import writes, with every field."""
    models = (Premises, PersonalAccount, Meter, Reading, BillingReading, Payment, Accrual, MonthBalance)
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


def rejected(batch: ImportBatch) -> list[tuple[int, str]]:
    return [(row.line, row.reason) for row in batch.rejected_rows.order_by("line")]


# --- the file as a whole --------------------------------------------------------------------
def _without(column: str, header: str, rows) -> list[str]:
    """The header and rows with one column left out."""
    at = header.split(",").index(column)
    return [",".join(v for i, v in enumerate(line.split(",")) if i != at) for line in (header, *rows)]


def _another(kind: str) -> str:
    return KINDS[(KINDS.index(kind) + 1) % len(KINDS)]


def file_fault(kind: str, fault: str) -> tuple[bytes, int, str]:
    """A file of `kind` with one fault of the file as a whole: its bytes, the line and reason."""
    case, title = CASES[kind], kinds.get(kind).title
    plain = text(case.header, *case.first)
    last = len(case.first) + 2  # the line of a row added at the end
    again = "сохраните файл в UTF-8 и загрузите снова"
    line = 1
    if fault == "cp1251":
        row = case.first[0] + ",оплачено"
        data = text(case.header + ",comment", row, *(more + ",оплачено" for more in case.first[1:])).encode("cp1251")
        at = next(i for i, char in enumerate(row) if not char.isascii())
        line, byte = 2, row[at].encode("cp1251")[0]
        reason = f"Файл не в кодировке UTF-8: в строке 2 байт 0x{byte:02X} (позиция {at + 1}) — {again}"
    elif fault == "utf-16":
        data = plain.encode("utf-16")
        reason = f"Файл не в кодировке UTF-8: в строке 1 байт 0xFF (позиция 1) — {again}"
    elif fault == "utf-16 without a BOM":
        data = plain.encode("utf-16-le")
        reason = f"Файл не текстовый CSV в UTF-8: в строке 1 нулевой байт (позиция 2) — возможно, это UTF-16; {again}"
    elif fault in ("semicolon", "tab"):
        mark, name = (";", "точкой с запятой («;»)") if fault == "semicolon" else ("\t", "табуляцией")
        data = plain.replace(",", mark).encode()
        reason = f"Столбцы разделены {name}, а нужна запятая: сохраните файл как CSV с разделителем «,»"
    elif fault == "missing column":
        column = kinds.get(kind).required[-1]
        data = text(*_without(column, case.header, case.first)).encode()
        reason = f"В заголовке нет столбцов: {column}"
    elif fault == "repeated column":
        column = case.header.split(",")[1]
        data = text(f"{case.header},{column}", *(row + ",x" for row in case.first)).encode()
        reason = f"В заголовке дважды встречаются столбцы: {column}"
    elif fault == "another kind":
        other = _another(kind)
        data = text(CASES[other].header, *CASES[other].first).encode()
        reason = f"Это файл вида «{kinds.get(other).title}», а загружается «{title}»"
    elif fault == "no kind":
        data = text("фамилия,имя,телефон", "Иванова,Анна,+79120000001").encode()
        required = ", ".join(kinds.get(kind).required)
        reason = f"Это не файл вида «{title}»: в заголовке нет ни одного из его столбцов ({required})"
    elif fault == "empty":
        data, reason = b"", "Файл пуст: нет строки заголовка"
    elif fault == "blank header":
        data = ("\n" + "\n".join(case.first) + "\n").encode()
        reason = "Первая строка пуста: в ней должны быть названия столбцов"
    elif fault == "open quote":  # the record runs to the end of the file: its first line is named
        data, line = (plain + '66,"660100000001\n66,1\n').encode(), last
        reason = f"Строка {last}: кавычка открыта и не закрыта до конца файла"
    elif fault == "stray quote":
        data, line = (plain + '66,"6601"00000001\n').encode(), last
        reason = f'Строка {last}: после закрывающей кавычки должна идти запятая; кавычку внутри поля пишут дважды: «""»'
    else:
        raise AssertionError(fault)
    return data, line, reason


FILE_FAULTS = [
    "cp1251",
    "utf-16",
    "utf-16 without a BOM",
    "semicolon",
    "tab",
    "missing column",
    "repeated column",
    "another kind",
    "no kind",
    "empty",
    "blank header",
    "open quote",
    "stray quote",
]


@pytest.mark.parametrize("fault", FILE_FAULTS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_faulty_file_is_refused_whole_with_its_line(world, kind, fault):
    assert load(kind, text(CASES[kind].header, *CASES[kind].first).encode()).status == OK  # a previous state
    before = snapshot()
    data, line, reason = file_fault(kind, fault)
    batch = load(kind, data)
    assert batch.status == REJECTED
    assert batch.message == NOT_LOADED + reason
    assert rejected(batch) == [(line, reason)]
    assert CYRILLIC.search(reason)
    assert snapshot() == before


# --- all or nothing: a row refused by a check in SQL, a fault in the merge -------------------
@pytest.mark.parametrize("kind", KINDS)
def test_a_row_only_sql_can_refuse_leaves_the_previous_state(world, kind):
    case = CASES[kind]
    assert load(kind, text(case.header, *case.first).encode()).status == OK
    before = snapshot()
    batch = load(kind, text(case.header, case.second[0], case.unresolved, *case.second[1:]).encode())
    assert batch.status == REJECTED, batch.message
    [(line, reason)] = rejected(batch)
    assert line == 3 and case.value in reason and CYRILLIC.search(reason), reason
    assert batch.rejected_rows.get().raw == case.unresolved
    assert snapshot() == before


def fail_when(table: str, condition: str) -> None:
    """A real fault of the database: writing a row of `table` for which `condition` (on NEW)
    holds raises an error. Created inside the test's transaction, so it goes with it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""CREATE FUNCTION test_exchange_fault() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF {condition} THEN RAISE EXCEPTION 'сбой записи в {table}'; END IF; RETURN NEW; END $$"""
            )
            cursor.execute(
                f"""CREATE TRIGGER test_exchange_fault BEFORE INSERT OR UPDATE ON {table}
                FOR EACH ROW EXECUTE FUNCTION test_exchange_fault()"""
            )
        else:
            for event in ("INSERT", "UPDATE"):
                cursor.execute(
                    f"""CREATE TRIGGER test_exchange_fault_{event} BEFORE {event} ON {table} WHEN {condition}
                    BEGIN SELECT RAISE(ABORT, 'сбой записи в {table}'); END"""
                )


@pytest.mark.parametrize("kind", KINDS)
def test_a_database_fault_mid_merge_leaves_the_previous_state(world, kind, caplog):
    case = CASES[kind]
    assert load(kind, text(case.header, *case.first).encode()).status == OK
    second = text(case.header, *case.second).encode()
    assert load(kind, second, dry_run=True).status == OK  # the file itself is good
    before = snapshot()
    fail_when(case.table, case.condition)
    batch = load(kind, second)
    assert batch.status == FAILED, batch.message
    assert batch.message == (  # the operator's words; the fault itself is in the server's log
        "Загрузка прервана ошибкой на сервере, ничего не изменено; подробности — в журнале сервера "
        f"(загрузка № {batch.pk})."
    )
    assert f"сбой записи в {case.table}" in caplog.text and f"import {batch.pk} of" in caplog.text
    assert (batch.rows_created, batch.rows_updated) == (0, 0)
    assert snapshot() == before


# --- a month billing has closed ---------------------------------------------------------------
@pytest.mark.parametrize("kind", ["accruals", "balances", "payments", "readings"])
def test_a_closed_month_is_refused_for_accruals_only(world, kind):
    """Closing a month freezes its accruals; billing's balances of a closed month are what it
    computed on closing, a payment is a fact with its date, and a reading is one billing took:
    those come after the month is closed (formats/*.md)."""
    case = CASES[kind]
    Region.objects.filter(pk=world.pk).update(closed_through=date(2026, 10, 1))
    before = snapshot()
    batch = load(kind, text(case.header, case.closed).encode())
    if kind != "accruals":
        assert batch.status == OK, batch.message
        return
    assert batch.status == REJECTED
    assert rejected(batch) == [
        (2, "month: «2026-10» — месяц уже закрыт в биллинге: регион «Свердловский» закрыт по 2026-10 "
            "включительно, начисления за него не принимаются"),
    ]  # fmt: skip
    assert snapshot() == before


# --- a row too short for the header ----------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_a_row_with_too_few_fields_is_refused_with_its_line(world, kind):
    case = CASES[kind]
    before = snapshot()
    batch = load(kind, text(case.header, case.first[0], "66,660100000001,x").encode())
    assert batch.status == REJECTED
    width = len(case.header.split(","))  # each header here ends with a column of the kind
    assert rejected(batch) == [(3, f"полей в строке: 3, а по заголовку нужно не меньше {width}")]
    assert snapshot() == before
