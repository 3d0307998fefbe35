"""The kind `accruals`: validation, whole account-months replaced, closed months refused,
idempotence, all or nothing, balances rebuilt and shown on «Начисления и платежи»
(formats/accruals.md)."""

from datetime import date
from decimal import Decimal
import io

from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
import pytest

from kabinet.billing.models import Accrual, MonthBalance, Payment, Region
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import
from tests.factories import billed_services, csv_bytes, customer_login, make_account, make_customer

OK = ImportBatch.Status.DONE
D = Decimal
REJECTED = ImportBatch.Status.REJECTED
HEADER = "region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason"
OCTOBER = [
    "66,660100000001,2026-10,electricity,1,150,6.7100,1006.50,,",
    "66,660100000001,2026-10,electricity,2,70,3.3800,236.60,,",
    "66,660100000001,2026-10,hot-water,,3.215,308.8900,993.08,-200.00,Перерасчёт | временное отсутствие",
]
LINE = "66,660100000001,2026-10,electricity,,1,1,"  # region … volume, tariff: a valid row's start
EXPECTED_MONTH = "ожидается месяц ГГГГ-ММ, например 2026-10"


@pytest.fixture
def load(account):
    """Run the accruals import on rows; the batch. The account 660100000001 and both services exist."""
    billed_services()

    def load(*rows: str, header: str = HEADER, **options):
        return run_import("accruals", io.BytesIO(csv_bytes(*rows, header=header)), file_name="accruals.csv",
                          source="tests", **options)  # fmt: skip

    return load


def state():
    return sorted(
        Accrual.objects.values_list(
            "account__number", "period", "service__code", "zone", "volume", "tariff", "amount", "recalculation",
            "recalculation_reason",
        )
    )  # fmt: skip


def rejected(batch):
    return [(row.line, row.reason) for row in batch.rejected_rows.all()]


def counts(batch):
    return batch.rows_read, batch.rows_created, batch.rows_updated, batch.rows_unchanged


# --- loading, counts, idempotence ----------------------------------------------------------
def test_loads_a_month_with_zones_and_a_recalculation(load, account):
    batch = load(*OCTOBER)
    assert batch.status == OK, batch.message
    assert counts(batch) == (3, 3, 0, 0)
    rows = {(a.service.code, a.zone): a for a in Accrual.objects.filter(account=account)}
    assert set(rows) == {("electricity", "Т1"), ("electricity", "Т2"), ("hot-water", "")}
    water = rows["hot-water", ""]
    assert (water.period, water.volume, water.tariff, water.amount) == (
        date(2026, 10, 1), Decimal("3.215"), Decimal("308.8900"), Decimal("993.08"))  # fmt: skip
    assert water.recalculation == Decimal("-200.00") and water.recalculation_reason.startswith("Перерасчёт")
    assert rows["electricity", "Т1"].recalculation == 0 and rows["electricity", "Т1"].recalculation_reason == ""


def test_the_same_rows_again_are_all_unchanged_and_not_rewritten(load):
    load(*OCTOBER)
    before = state()
    ids = sorted(Accrual.objects.values_list("pk", flat=True))
    again = load(*reversed(OCTOBER))  # another checksum: not a duplicate file
    assert again.status == OK, again.message
    assert counts(again) == (3, 0, 0, 3)
    assert state() == before and sorted(Accrual.objects.values_list("pk", flat=True)) == ids
    assert "сальдо пересчитано" not in again.message and "удалено" not in again.message


def test_the_very_same_file_is_a_duplicate(load):
    assert load(*OCTOBER).status == OK
    assert load(*OCTOBER).status == ImportBatch.Status.DUPLICATE


def test_an_earlier_file_again_after_another_one_is_loaded_not_a_duplicate(load):
    """A, then B (other amounts), then A again: billing sends A's figures back, so A is loaded
    again — only the latest file of the kind is a duplicate."""
    first = load(*OCTOBER)
    after_first = state()
    other = load(OCTOBER[0].replace("1006.50", "1111.11"), *OCTOBER[1:])
    assert other.status == OK and state() != after_first
    again = load(*OCTOBER)
    assert again.status == OK, again.message
    assert counts(again) == (3, 0, 1, 2)
    assert state() == after_first
    latest = load(*OCTOBER)
    assert latest.status == ImportBatch.Status.DUPLICATE
    assert f"№ {again.pk}" in latest.message and f"№ {first.pk}" not in latest.message


def test_a_changed_line_is_updated_and_counted(load):
    load(*OCTOBER)
    batch = load(OCTOBER[0], "66,660100000001,2026-10,electricity,2,71,3.3800,239.98,,", OCTOBER[2])
    assert counts(batch) == (3, 0, 1, 2), batch.message
    assert Accrual.objects.get(zone="Т2").amount == Decimal("239.98")


# --- whole account-months ----------------------------------------------------------------
def test_a_corrected_month_replaces_the_previous_one_and_other_months_stay(load, account, sverdlovsk):
    other = make_account(sverdlovsk, "660100000002", flat="6")
    september = "66,660100000001,2026-09,electricity,,100,6.7100,671.00,,"
    other_october = "66,660100000002,2026-10,electricity,,10,6.7100,67.10,,"
    load(september, *OCTOBER, other_october)
    # October of the first account again, without its hot water and with one zone corrected.
    batch = load("66,660100000001,2026-10,electricity,1,150,6.7100,1006.50,,",
                 "66,660100000001,2026-10,electricity,2,80,3.3800,270.40,,")  # fmt: skip
    assert batch.status == OK, batch.message
    assert counts(batch) == (2, 0, 1, 1)
    assert "удалено начислений, которых нет в файле за его месяцы: 1" in batch.message
    october = Accrual.objects.filter(account=account, period=date(2026, 10, 1))
    assert sorted(october.values_list("zone", "amount")) == [("Т1", Decimal("1006.50")), ("Т2", Decimal("270.40"))]
    assert Accrual.objects.filter(account=account, period=date(2026, 9, 1)).count() == 1  # another month
    assert Accrual.objects.filter(account=other).count() == 1  # another account


def test_duplicates_in_the_file_are_an_error_on_both_lines(load):
    batch = load(OCTOBER[0], OCTOBER[1], "66,660100000001,2026-10,electricity,1,1,1,1.00,,")
    assert batch.status == REJECTED
    reason = "начисление по тому же счёту, месяцу, услуге и зоне повторяется в строках 2, 4"
    assert rejected(batch) == [(2, reason), (4, reason)]
    assert Accrual.objects.count() == 0


# --- closed months -------------------------------------------------------------------------
def test_a_month_billing_closed_is_refused(load, sverdlovsk):
    Region.objects.filter(pk=sverdlovsk.pk).update(closed_through=date(2026, 9, 1))
    batch = load("66,660100000001,2026-09,electricity,,100,6.7100,671.00,,", *OCTOBER)
    assert batch.status == REJECTED
    assert rejected(batch) == [
        (2, "month: «2026-09» — месяц уже закрыт в биллинге: регион «Свердловский» закрыт по 2026-09 включительно, "
            "начисления за него не принимаются")
    ]  # fmt: skip
    assert Accrual.objects.count() == 0
    assert load(*OCTOBER).status == OK  # the month after the closed one is open


# --- validation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("77,660100000001,2026-10,electricity,,1,1,1.00,,", "region: «77» — неизвестный код региона"),
        ("66,,2026-10,electricity,,1,1,1.00,,", "account: не заполнен номер лицевого счёта"),
        ("66,660100000001,10.2026,electricity,,1,1,1.00,,", "month: «10.2026» — " + EXPECTED_MONTH),
        ("66,660100000001,2026-13,electricity,,1,1,1.00,,", "month: «2026-13» — " + EXPECTED_MONTH),
        ("66,660100000001,2099-01,electricity,,1,1,1.00,,", "month: «2099-01» — месяц ещё не наступил"),
        ("66,660100000001,2026-10,gas,,1,1,1.00,,", "service: «gas» — неизвестный код услуги"),
        ("66,660100000001,2026-10,electricity,4,1,1,1.00,,", "zone: «4» — ожидается пусто, 1, 2 или 3"),
        ("66,660100000001,2026-10,electricity,,-1,1,1.00,,", "volume: «-1» — значение не может быть отрицательным"),
        ("66,660100000001,2026-10,electricity,,1.2345,1,1.00,,", "volume: «1.2345» — не больше 3 знаков после точки"),
        ("66,660100000001,2026-10,electricity,,1,1.23456,1.00,,", "tariff: «1.23456» — не больше 4 знаков после точки"),
        ("66,660100000001,2026-10,electricity,,1,-1,1.00,,", "tariff: «-1» — значение не может быть отрицательным"),
        (LINE + "1.005,,", "amount: «1.005» — не больше 2 знаков после точки"),
        (LINE + "-1.00,,", "amount: «-1.00» — значение не может быть отрицательным"),
        (LINE + "\"1,00\",,", "amount: «1,00» — ожидается число с точкой, например 1234.56"),
        (LINE + "1e3,,", "amount: «1e3» — ожидается число с точкой, например 1234.56"),
        (LINE + "10000000000.00,,", "amount: «10000000000.00» — слишком большое число: не больше 10 цифр до точки"),
        (LINE + "1.00,-5.00,", "recalculation: «-5.00» — перерасчёт без основания: заполните recalculation_reason"),
        (LINE + "1.00,,ошибка",
         "recalculation_reason: основание указано, а перерасчёта нет (recalculation пусто или 0)"),
        (LINE + "1.00,5," + "я" * 251, "recalculation_reason: длиннее 250 знаков"),
        ("66,660100000099,2026-10,electricity,,1,1,1.00,,",
         "лицевой счёт 660100000099 не найден в регионе «Свердловский»"),
    ],
)  # fmt: skip
def test_a_wrong_row_is_rejected_with_its_reason_and_nothing_changes(load, row, reason):
    batch = load(OCTOBER[0], row)
    assert batch.status == REJECTED, batch.message
    assert rejected(batch) == [(3, reason)]
    assert Accrual.objects.count() == 0 and MonthBalance.objects.count() == 0


def test_numbers_are_checked_as_written_zero_signs_and_leading_zeros_included(load):
    """The numbers are checked on their text (no Decimal per value): a zero with a minus is
    zero, not negative and not a recalculation; leading zeros do not count as digits."""
    batch = load(
        "66,660100000001,2026-10,electricity,1,-0.000,0001.5000,0000999.99,-0.00,",
        "66,660100000001,2026-10,electricity,2,007,1,1.00,0.00,",
        "66,660100000001,2026-10,hot-water,,0,0,0,-000.50,Перерасчёт",
    )
    assert batch.status == OK, [*rejected(batch), batch.message]
    assert [row[4:8] for row in state()] == [
        (D("0.000"), D("1.5000"), D("999.99"), D("0.00")),
        (D("7.000"), D("1.0000"), D("1.00"), D("0.00")),
        (D("0.000"), D("0.0000"), D("0.00"), D("-0.50")),
    ]
    assert load(LINE + "1.00,-0.00,ошибка").rejected_rows.get().reason == (
        "recalculation_reason: основание указано, а перерасчёта нет (recalculation пусто или 0)"
    )


def test_all_or_nothing_a_bad_row_keeps_the_previous_month(load):
    load(*OCTOBER)
    before = state()
    changed = "66,660100000001,2026-10,electricity,1,999,6.7100,6703.29,,"
    batch = load(changed, "66,660100000001,2026-10,gas,,1,1,1.00,,")
    assert batch.status == REJECTED and rejected(batch) == [(3, "service: «gas» — неизвестный код услуги")]
    assert state() == before
    assert batch.message.startswith("Файл не загружен, ничего не изменено: отклонено строк 1")


def test_an_accounts_file_is_refused_as_another_kind(load):
    batch = load("66,660100000001,Екатеринбург,ул. Малышева,12а,5,,,",
                 header="region,number,city,street,house,flat,status,replaced_by,closed_on")  # fmt: skip
    assert batch.status == REJECTED
    assert batch.message.endswith("Это файл вида «Лицевые счета», а загружается «Начисления»")


def test_dry_run_changes_nothing(load):
    batch = load(*OCTOBER, dry_run=True)
    assert batch.status == OK and counts(batch) == (3, 3, 0, 0)
    assert Accrual.objects.count() == 0 and MonthBalance.objects.count() == 0


# --- balances and the portal --------------------------------------------------------------
def test_balances_of_touched_accounts_only_are_rebuilt_keeping_the_opening(load, account, sverdlovsk):
    untouched = make_account(sverdlovsk, "660100000002", flat="6")
    MonthBalance.objects.create(account=untouched, period=date(2026, 10, 1), opening=Decimal("1"),
                                accrued=Decimal("0"), paid=Decimal("0"), closing=Decimal("1"))  # fmt: skip
    Payment.objects.create(account=account, paid_on=date(2026, 10, 5), amount=Decimal("1000.00"), channel="online")
    MonthBalance.objects.create(account=account, period=date(2026, 10, 1), opening=Decimal("500.00"),
                                accrued=Decimal("0"), paid=Decimal("1000.00"), closing=Decimal("-500.00"))  # fmt: skip
    batch = load(*OCTOBER)
    assert "сальдо пересчитано по счетам: 1" in batch.message
    balance = MonthBalance.objects.get(account=account)
    # 1006.50 + 236.60 + 993.08 − 200.00 = 2036.18 accrued; 500 + 2036.18 − 1000 = 1536.18.
    assert (balance.opening, balance.accrued, balance.paid, balance.closing) == (
        Decimal("500.00"), Decimal("2036.18"), Decimal("1000.00"), Decimal("1536.18"))  # fmt: skip
    assert MonthBalance.objects.get(account=untouched).closing == Decimal("1")


def test_the_imported_month_is_on_the_account_page(load, client, account):
    customer_login(client, make_customer("+79120000001", account))
    assert load(*OCTOBER).status == OK
    page = client.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert "Начисления и платежи" in page
    assert "Октябрь 2026" in page
    assert "2\u00a0036,18" in page  # accrued in the month
    assert "Перерасчёт | временное отсутствие" in page


# --- the command ----------------------------------------------------------------------------
def test_the_command_loads_and_reports_rejected_rows(load, tmp_path, capsys):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(csv_bytes(*OCTOBER, header=HEADER))
    bad.write_bytes(csv_bytes("66,660100000001,2026-10,gas,,1,1,1.00,,", header=HEADER))
    call_command("import_accruals", str(good), "--dry-run", "--no-progress")
    assert Accrual.objects.count() == 0
    call_command("import_accruals", str(good), "--no-progress")
    assert Accrual.objects.count() == 3
    assert "Загружено: прочитано строк 3, создано 3" in capsys.readouterr().out
    with pytest.raises(CommandError) as error:
        call_command("import_accruals", str(bad), "--no-progress")
    assert error.value.returncode == 2
    assert "строка 2: service: «gas» — неизвестный код услуги" in capsys.readouterr().err
