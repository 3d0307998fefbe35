"""The kind `balances` (formats/balances.md): validation, rows that must add up, idempotence,
all or nothing, and billing's months winning over Kabinet's own computation."""

from datetime import date
from decimal import Decimal
import io

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
import pytest
import time_machine

from kabinet.billing.balances import rebuild_balances, rebuild_balances_of
from kabinet.billing.models import MonthBalance
from kabinet.billing.money import format_rub
from kabinet.billing.periods import next_month
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import
from tests.factories import accrue, csv_bytes, customer_login, make_account, make_customer

OK = ImportBatch.Status.DONE
BILLING, KABINET = MonthBalance.Source.BILLING, MonthBalance.Source.KABINET
HEADER = "region,account,month,opening,accrued,paid,closing"
ROWS = [
    "66,660100000001,2026-10,0,1500.00,1000.00,500.00",
    "66,660100000001,2026-11,500.00,1200.5,2000,-299.50",
    "66,660100000002,2026-10,-10.00,0.00,0,-10",
]


@pytest.fixture
def accounts(sverdlovsk):
    return [make_account(sverdlovsk, "660100000001"), make_account(sverdlovsk, "660100000002", house="3")]


@pytest.fixture
def load(accounts):
    def load(*rows: str, header: str = HEADER, name="balances.csv", **options):
        return run_import(
            "balances", io.BytesIO(csv_bytes(*rows, header=header)), file_name=name, source="tests", **options
        )

    return load


def state():
    return sorted(
        MonthBalance.objects.values_list("account__number", "period", "opening", "accrued", "paid", "closing", "source")
    )


def balances(account):
    return list(
        account.balances.order_by("period").values_list("period", "opening", "accrued", "paid", "closing", "source")
    )


def rejected(batch):
    return [(row.line, row.reason) for row in batch.rejected_rows.all()]


def counts(batch):
    return batch.rows_read, batch.rows_created, batch.rows_updated, batch.rows_unchanged


D = Decimal


def test_loads_balances_as_billing_months(load):
    batch = load(*ROWS)
    assert batch.status == OK, batch.message
    assert counts(batch) == (3, 3, 0, 0)
    assert state() == [
        ("660100000001", date(2026, 10, 1), D("0.00"), D("1500.00"), D("1000.00"), D("500.00"), BILLING),
        ("660100000001", date(2026, 11, 1), D("500.00"), D("1200.50"), D("2000.00"), D("-299.50"), BILLING),
        ("660100000002", date(2026, 10, 1), D("-10.00"), D("0.00"), D("0.00"), D("-10.00"), BILLING),
    ]


def test_the_same_rows_again_are_unchanged_and_a_changed_month_is_updated(load):
    load(*ROWS)
    before = state()
    again = load(*reversed(ROWS), force=True)
    assert again.status == OK and counts(again) == (3, 0, 0, 3) and state() == before
    changed = load(ROWS[0], "66,660100000002,2026-10,-10.00,100.00,0,90.00")
    assert changed.status == OK and counts(changed) == (2, 0, 1, 1)
    assert MonthBalance.objects.get(account__number="660100000002").closing == D("90.00")


def test_the_same_file_again_is_a_duplicate(load):
    load(*ROWS)
    assert load(*ROWS).status == ImportBatch.Status.DUPLICATE


# --- validation: every rejected row with its line, nothing merged ---------------------------
# Taken when the module is collected; the test runs at that moment, or a suite crossing the
# month's last local midnight meanwhile would find «next month» come.
COLLECTED = timezone.now()
NEXT_MONTH = f"{next_month(timezone.localdate(COLLECTED).replace(day=1)):%Y-%m}"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("99,660100000001,2026-10,0,1,0,1", "region: «99» — неизвестный код региона"),
        ("66,12345,2026-10,0,1,0,1", "account: «12345» — номер не подходит региону «Свердловский» (12 цифр"),
        ("66,660100000009,2026-10,0,1,0,1", "лицевой счёт 660100000009 не найден в регионе «Свердловский»"),
        ("66,660100000001,10.2026,0,1,0,1", "month: «10.2026» — ожидается месяц ГГГГ-ММ"),
        ("66,660100000001,2026-13,0,1,0,1", "month: «2026-13» — ожидается месяц ГГГГ-ММ"),
        ("66,660100000001,2026-10-01,0,1,0,1", "month: «2026-10-01» — ожидается месяц ГГГГ-ММ"),
        (f"66,660100000001,{NEXT_MONTH},0,1,0,1", f"month: «{NEXT_MONTH}» — месяц ещё не наступил"),
        ("66,660100000001,2026-10,0,1.005,0,1", "accrued: «1.005» — не больше 2 знаков после точки"),
        ('66,660100000001,2026-10,"0,5",1,0,1', "opening: «0,5» — ожидается число с точкой"),
        ("66,660100000001,2026-10,0,1,0,1e3", "closing: «1e3» — ожидается число с точкой"),
        ("66,660100000001,2026-10,0,1,,1", "paid: «» — ожидается число с точкой"),
        (
            "66,660100000001,2026-10,0,1,12345678901,1",
            "paid: «12345678901» — слишком большое число: не больше 10 цифр до точки",
        ),
        ("66,660100000001,2026-10,0,1,-5,6", "paid: «-5» — значение не может быть отрицательным"),
        (
            "66,660100000001,2026-10,100.00,50,30.00,125.00",
            "сальдо не сходится: opening 100.00 + accrued 50.00 − paid 30.00 = 120.00, а closing 125.00",
        ),
        ("66,660100000001,2026-11,500.00,1200.5,2000", "полей в строке: 6, а по заголовку нужно не меньше 7"),
    ],
)
def test_one_bad_row_rejects_the_whole_file(load, row, reason):
    with time_machine.travel(COLLECTED):
        batch = load(ROWS[0], row)
    assert batch.status == ImportBatch.Status.REJECTED
    [(line, text)] = rejected(batch)
    assert line == 3 and text.startswith(reason), text
    assert batch.rows_created == 0 and batch.rejected_rows.get().raw == row
    assert not MonthBalance.objects.exists()


def test_a_month_twice_in_the_file_is_an_error(load):
    batch = load(*ROWS, "66,660100000001,2026-10,0,1500.00,1000.00,500.00")
    assert batch.status == ImportBatch.Status.REJECTED
    assert rejected(batch) == [(5, "месяц 2026-10 счёта 660100000001 уже есть в файле, в строке 2")]
    assert not MonthBalance.objects.exists()


def test_a_bad_row_keeps_the_previous_months(load):
    load(*ROWS)
    before = state()
    batch = load("66,660100000001,2026-10,0,1500.00,1000.00,400.00", "66,660100000002,2026-10,0,1,0,2")
    assert batch.status == ImportBatch.Status.REJECTED and state() == before


def test_a_dry_run_changes_nothing(load):
    batch = load(*ROWS, dry_run=True)
    assert batch.status == OK and batch.rows_created == 3
    assert not MonthBalance.objects.exists()


def test_the_command(accounts, tmp_path):
    path = tmp_path / "balances.csv"
    path.write_bytes(csv_bytes(*ROWS, header=HEADER))
    out = io.StringIO()
    call_command("import_balances", str(path), "--no-progress", stdout=out)
    assert "создано 3" in out.getvalue() and MonthBalance.objects.count() == 3


# --- billing's months win over Kabinet's computation ----------------------------------------
def test_billing_replaces_a_kabinet_month_and_the_next_month_opens_with_its_closing(load, accounts):
    account = accounts[0]
    accrue(account, date(2026, 10, 1))
    accrue(account, date(2026, 11, 1))
    rebuild_balances(account)
    october, november = balances(account)
    assert october[5] == november[5] == KABINET
    batch = load("66,660100000001,2026-10,100.00,2000.00,0,2100.00")
    assert batch.status == OK and counts(batch) == (1, 0, 1, 0), batch.message
    new_october, new_november = balances(account)
    assert new_october == (date(2026, 10, 1), D("100.00"), D("2000.00"), D("0.00"), D("2100.00"), BILLING)
    # Kabinet's own rule stays for November, opening with billing's October.
    assert new_november[1] == D("2100.00") and new_november[2] == november[2] and new_november[5] == KABINET
    assert new_november[4] == D("2100.00") + november[2] - november[3]


def test_a_later_payment_import_keeps_billings_months(load, accounts):
    account = accounts[0]
    accrue(account, date(2026, 10, 1))
    accrue(account, date(2026, 11, 1))
    assert load(ROWS[0]).status == OK
    [october] = [row for row in balances(account) if row[5] == BILLING]
    november_accrued = balances(account)[1][2]
    payments = csv_bytes(
        "66,660100000001,2026-10-15,70.00,bank,SB-1",  # in billing's month
        "66,660100000001,2026-11-03,100.00,online,SBP-1",
        header="region,account,paid_on,amount,channel,payment_id",
    )
    batch = run_import("payments", io.BytesIO(payments), file_name="payments.csv", source="tests")
    assert batch.status == OK, batch.message
    after = balances(account)
    assert after[0] == october  # as billing sent it, not recomputed with the payment
    closing = D("500.00") + november_accrued - D("100.00")
    assert after[1] == (date(2026, 11, 1), D("500.00"), november_accrued, D("100.00"), closing, KABINET)
    # Any rebuild, one account or many, leaves billing's month too.
    rebuild_balances(account, opening=D("999.00"))
    rebuild_balances_of([account.pk])
    assert balances(account) == after


def test_home_card_and_history_show_billings_closing(client, load, accounts):
    account = accounts[0]
    accrue(account, date(2026, 10, 1))
    accrue(account, date(2026, 11, 1))
    rebuild_balances(account)
    customer_login(client, make_customer("+79120000001", account))
    assert load(*ROWS).status == OK
    page = client.get(reverse("portal:home")).content.decode()
    assert f"Переплата: <strong>{format_rub(D('299.50'))}</strong>" in page
    history = client.get(reverse("portal:account", args=[account.pk])).context["history"]
    assert history.latest.closing == D("-299.50")
    assert [m.balance.closing for m in history.months] == [D("-299.50"), D("500.00")]


def test_touched_accounts_stay_in_the_database_on_postgres(sverdlovsk):
    """A branch's file touches a million accounts: their ids are kept in a TEMP table and the
    rebuild reads them there, so no statement brings one row per account back to Python."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite rebuilds in Python batches anyway")
    many = 60
    for n in range(many):
        make_account(sverdlovsk, f"6601{n:08d}", house=str(n))
    fetched = []

    def count_rows(execute, sql, params, many_, context):
        result = execute(sql, params, many_, context)
        if sql.lstrip().upper().startswith("SELECT"):
            fetched.append((context["cursor"].rowcount, " ".join(sql.split())[:80]))
        return result

    rows = [f"66,6601{n:08d},2026-10,0,10.00,0,10.00" for n in range(many)]
    with connection.execute_wrapper(count_rows):
        batch = run_import("balances", io.BytesIO(csv_bytes(*rows, header=HEADER)), file_name="b.csv", source="t")
    assert batch.status == OK, batch.message
    assert MonthBalance.objects.filter(source=BILLING).count() == many
    assert [(count, sql) for count, sql in fetched if count >= many] == []
