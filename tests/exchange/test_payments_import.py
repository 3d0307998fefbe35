"""The kind `payments` (formats/payments.md): validation, a payment counted once however often
it arrives, a changed payment refused, all or nothing, balances rebuilt after a merge, and a
payment made in Kabinet that billing brings back matched by its ЮKassa id."""

from datetime import date, timedelta
from decimal import Decimal
import io

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
import pytest
import time_machine

from kabinet.billing.balances import rebuild_balances
from kabinet.billing.models import MonthBalance, Payment
from kabinet.billing.money import format_rub
from kabinet.exchange import kinds
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import
from kabinet.payments.cards import customer_cards
from kabinet.payments.demo import finish
from kabinet.payments.models import OnlinePayment
from kabinet.payments.services import check_payment, start_payment
from tests.factories import (
    accrue,
    csv_bytes,
    customer_login,
    make_account,
    make_customer,
    paid_in_demo,
    refunded_online,
)

OK = ImportBatch.Status.DONE
HEADER = "region,account,paid_on,amount,channel,payment_id"
ROWS = [
    "66,660100000001,2026-10-05,1000.00,bank,SB-0001",
    "66,660100000001,2026-11-07,250.5,online,SBP-77",
    "66,660100000002,2026-11-08,99,post,RP-12",
]


@pytest.fixture
def accounts(sverdlovsk):
    return [make_account(sverdlovsk, "660100000001"), make_account(sverdlovsk, "660100000002", house="3")]


@pytest.fixture
def load(accounts):
    def load(*rows: str, header: str = HEADER, data: bytes | None = None, name="payments.csv", **options):
        content = csv_bytes(*rows, header=header) if data is None else data
        return run_import("payments", io.BytesIO(content), file_name=name, source="tests", **options)

    return load


def state():
    return sorted(Payment.objects.values_list("account__number", "paid_on", "amount", "channel", "source_id"))


def rejected(batch):
    return [(row.line, row.reason) for row in batch.rejected_rows.all()]


def counts(batch):
    return batch.rows_read, batch.rows_created, batch.rows_updated, batch.rows_unchanged


def test_loads_payments_as_decimals(load):
    batch = load(*ROWS)
    assert batch.status == OK, batch.message
    assert counts(batch) == (3, 3, 0, 0)
    assert state() == [
        ("660100000001", date(2026, 10, 5), Decimal("1000.00"), "bank", "SB-0001"),
        ("660100000001", date(2026, 11, 7), Decimal("250.50"), "online", "SBP-77"),
        ("660100000002", date(2026, 11, 8), Decimal("99.00"), "post", "RP-12"),
    ]
    assert batch.message.startswith("Загружено: прочитано строк 3, создано 3, обновлено 0, без изменений 0")


# --- a payment that arrives twice is counted once --------------------------------------------
def test_the_same_payments_in_a_later_file_are_unchanged(load):
    load(*ROWS)
    before = state()
    batch = load(*reversed(ROWS), "66,660100000002,2026-11-09,10.00,office,K-1")
    assert batch.status == OK, batch.message
    assert counts(batch) == (4, 1, 0, 3)
    assert len(state()) == 4 and set(before) <= set(state())


def test_the_same_payment_twice_in_one_file_is_recorded_once(load):
    batch = load(*ROWS, ROWS[0])
    assert batch.status == OK, batch.message
    assert counts(batch) == (4, 3, 0, 1)
    assert Payment.objects.filter(source_id="SB-0001").count() == 1
    assert "повторов платежей в файле 1" in batch.message


def test_the_same_id_in_another_channel_is_another_payment(load):
    batch = load(ROWS[0], "66,660100000001,2026-10-05,1000.00,post,SB-0001")
    assert batch.status == OK and batch.rows_created == 2


def test_the_same_file_again_is_a_duplicate_and_force_changes_nothing(load):
    load(*ROWS)
    before = state()
    assert load(*ROWS).status == ImportBatch.Status.DUPLICATE
    forced = load(*ROWS, force=True)
    assert forced.status == OK and counts(forced) == (3, 0, 0, 3) and state() == before


@pytest.mark.parametrize(
    "changed",
    [
        "66,660100000002,2026-10-05,1000.00,bank,SB-0001",  # another account
        "66,660100000001,2026-10-06,1000.00,bank,SB-0001",  # another date
        "66,660100000001,2026-10-05,1000.01,bank,SB-0001",  # another amount
    ],
)
def test_a_loaded_payment_with_other_data_is_an_error_not_an_overwrite(load, changed):
    load(*ROWS)
    before = state()
    batch = load(ROWS[2], changed)
    assert batch.status == ImportBatch.Status.REJECTED
    [(line, reason)] = rejected(batch)
    assert line == 3
    assert reason == (
        "платёж SB-0001 (bank) уже загружен: счёт 660100000001, 05.10.2026, 1\u00a0000,00 ₽ — "
        "в файле другие счёт, дата или сумма"
    )
    assert state() == before


def test_one_id_with_other_data_in_one_file_is_an_error(load):
    batch = load(ROWS[0], ROWS[1], "66,660100000001,2026-10-05,1000.10,bank,SB-0001")
    assert batch.status == ImportBatch.Status.REJECTED
    assert rejected(batch) == [
        (4, "платёж SB-0001 (bank) уже есть в файле, в строке 2, с другим счётом, датой или суммой")
    ]
    assert not Payment.objects.exists()


# --- validation: every rejected row with its line, nothing merged ---------------------------
# Taken when the module is collected; the test runs at that moment, or a suite crossing local
# midnight meanwhile would find «tomorrow» come.
COLLECTED = timezone.now()
TOMORROW = (timezone.localdate(COLLECTED) + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("99,660100000001,2026-10-05,10,bank,X1", "region: «99» — неизвестный код региона"),
        ("66,12345,2026-10-05,10,bank,X1", "account: «12345» — номер не подходит региону «Свердловский» (12 цифр"),
        ("66,660100000009,2026-10-05,10,bank,X1", "лицевой счёт 660100000009 не найден в регионе «Свердловский»"),
        ("66,660100000001,05.10.2026,10,bank,X1", "paid_on: «05.10.2026» — ожидается дата ГГГГ-ММ-ДД"),
        ("66,660100000001,2026-02-30,10,bank,X1", "paid_on: «2026-02-30» — ожидается дата ГГГГ-ММ-ДД"),
        (f"66,660100000001,{TOMORROW},10,bank,X1", f"paid_on: «{TOMORROW}» — дата платежа ещё не наступила"),
        ("66,660100000001,2026-10-05,-10.00,bank,X1", "amount: «-10.00» — значение не может быть отрицательным"),
        ("66,660100000001,2026-10-05,0.00,bank,X1", "amount: «0.00» — значение должно быть больше нуля"),
        ("66,660100000001,2026-10-05,10.005,bank,X1", "amount: «10.005» — не больше 2 знаков после точки"),
        ('66,660100000001,2026-10-05,"10,50",bank,X1', "amount: «10,50» — ожидается число с точкой"),
        ("66,660100000001,2026-10-05,1e3,bank,X1", "amount: «1e3» — ожидается число с точкой"),
        (
            "66,660100000001,2026-10-05,12345678901,bank,X1",
            "amount: «12345678901» — слишком большое число: не больше 10 цифр до точки",
        ),
        ("66,660100000001,2026-10-05,10,sberbank,X1", "channel: «sberbank» — ожидается одно из: bank, online"),
        ("66,660100000001,2026-10-05,10,bank,", "payment_id: не заполнен номер платежа в источнике"),
        (f"66,660100000001,2026-10-05,10,bank,{'9' * 65}", "payment_id: длиннее 64 знаков"),
        ("66,660100000001,2026-10-05", "полей в строке: 3, а по заголовку нужно не меньше 6"),
    ],
)
def test_one_bad_row_rejects_the_whole_file(load, row, reason):
    with time_machine.travel(COLLECTED):
        batch = load(ROWS[0], row)
    assert batch.status == ImportBatch.Status.REJECTED
    [(line, text)] = rejected(batch)
    assert line == 3 and text.startswith(reason), text
    assert batch.rows_created == 0 and batch.rejected_rows.get().raw == row
    assert batch.message.startswith("Файл не загружен, ничего не изменено: отклонено строк 1")
    assert not Payment.objects.exists() and not MonthBalance.objects.exists()


def test_an_accounts_file_is_named(load):
    batch = load("66,660100000001,Екатеринбург,ул. Малышева,1", header="region,number,city,street,house")
    assert "Это файл вида «Лицевые счета», а загружается «Платежи»" in batch.message


def test_a_fault_mid_merge_keeps_the_previous_state(load, monkeypatch, caplog):
    load(*ROWS)
    before = (state(), sorted(MonthBalance.objects.values_list("account__number", "period", "closing")))
    merge = type(kinds.get("payments")).merge

    def failing_merge(self, stage):
        merge(self, stage)
        raise RuntimeError("диск отключён")

    monkeypatch.setattr(type(kinds.get("payments")), "merge", failing_merge)
    batch = load("66,660100000002,2026-11-20,500.00,bank,SB-0002")
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.message.startswith("Загрузка прервана ошибкой на сервере")
    assert "диск отключён" in caplog.text  # the server log has the fault
    assert (state(), sorted(MonthBalance.objects.values_list("account__number", "period", "closing"))) == before


def test_a_dry_run_changes_nothing(load):
    batch = load(*ROWS, dry_run=True)
    assert batch.status == OK and batch.rows_created == 3
    assert not Payment.objects.exists() and not MonthBalance.objects.exists()


def test_the_command(accounts, tmp_path):
    path = tmp_path / "payments.csv"
    path.write_bytes(csv_bytes(*ROWS, header=HEADER))
    out = io.StringIO()
    call_command("import_payments", str(path), "--no-progress", stdout=out)
    assert "создано 3" in out.getvalue() and Payment.objects.count() == 3


# --- balances after a merge -----------------------------------------------------------------
def balances(account):
    return list(account.balances.order_by("period").values_list("period", "opening", "accrued", "paid", "closing"))


def test_balances_of_touched_accounts_are_rebuilt_keeping_their_opening(load, accounts):
    first, second = accounts
    for account in accounts:
        accrue(account, date(2026, 10, 1))
        rebuild_balances(account, opening=Decimal("300.00"))
    untouched = balances(second)
    batch = load("66,660100000001,2026-10-20,1000.00,bank,SB-1", "66,660100000001,2026-11-02,12.34,online,O-1")
    assert batch.status == OK and "сальдо пересчитано по счетам: 1" in batch.message
    imported = balances(first)
    rebuild_balances(first, opening=Decimal("300.00"))
    assert balances(first) == imported  # the same as a rebuild by hand
    assert [row[3] for row in imported] == [Decimal("1000.00"), Decimal("12.34")]
    assert imported[0][1] == Decimal("300.00")
    assert balances(second) == untouched  # not touched


def test_the_home_card_shows_an_imported_payment(client, load, accounts):
    account = accounts[0]
    accrue(account, date(2026, 10, 1))
    rebuild_balances(account)
    customer = make_customer("+79120000001", account)
    customer_login(client, customer)
    assert client.get(reverse("portal:home")).status_code == 200  # the card drawn, and kept, before the import
    [before] = customer_cards(customer, timezone.localdate()).summaries
    batch = load("66,660100000001,2026-11-03,500.00,online,SBP-500")
    assert batch.status == OK, batch.message
    [card] = customer_cards(customer, timezone.localdate()).summaries
    assert card.balance == before.balance - Decimal("500.00")
    assert (card.last_payment.amount, card.last_payment.source_id) == (Decimal("500.00"), "SBP-500")
    page = client.get(reverse("portal:home")).content.decode()
    assert f"<dd>{format_rub(Decimal('500.00'))}, 03.11.2026</dd>" in page
    assert f"К оплате: <strong>{format_rub(card.balance)}</strong>" in page


# --- a payment made in Kabinet comes back from billing ---------------------------------------
YESTERDAY = timezone.localdate(COLLECTED) - timedelta(days=1)


@pytest.fixture
def kabinets(demo_acquirer, accounts):
    """A payment of 812.40 ₽ to the first account made in Kabinet yesterday (its entry dated
    so), as the customer pays it in the demo. The test runs at the moment the module was
    collected: «yesterday» and «today» stay one day apart across local midnight."""
    with time_machine.travel(COLLECTED):
        payment = paid_in_demo(make_customer("+79120000001", accounts[0]), accounts[0], "812.40")
        Payment.objects.filter(pk=payment.ledger_entry_id).update(paid_on=YESTERDAY)
        yield payment


def kabinet_row(payment, *, account="660100000001", day=None, amount="812.40"):
    return f"66,{account},{(day or timezone.localdate()).isoformat()},{amount},online,{payment.acquirer_id}"


def test_a_kabinet_payment_billing_dates_the_next_day_is_matched_not_added_again(load, kabinets):
    before = state()
    balances_before = list(MonthBalance.objects.values_list("account__number", "period", "paid", "closing"))
    batch = load(kabinet_row(kabinets), "66,660100000002,2026-11-08,99,post,RP-12")
    assert batch.status == OK, batch.message
    assert counts(batch) == (2, 1, 0, 1)
    assert Payment.objects.filter(source_id=kabinets.acquirer_id).count() == 1
    assert Payment.objects.get(source_id=kabinets.acquirer_id).paid_on == YESTERDAY  # the day the customer paid
    assert set(before) < set(state()) and len(state()) == len(before) + 1
    assert (
        "онлайн-оплат Кабинета узнано по номеру ЮKassa: 1 (с другой датой: 1, оставлена дата оплаты в Кабинете) "
        "— не добавлены повторно" in batch.message
    )
    # Only the post payment's account was rebuilt: the Kabinet payment's balance is as it was.
    assert "сальдо пересчитано по счетам: 1" in batch.message
    assert [b for b in MonthBalance.objects.values_list("account__number", "period", "paid", "closing")
            if b[0] == "660100000001"] == [b for b in balances_before if b[0] == "660100000001"]  # fmt: skip
    again = load(kabinet_row(kabinets, day=YESTERDAY), name="later.csv")  # the same day as Kabinet's: the same
    assert again.status == OK and counts(again) == (1, 0, 0, 1) and "с другой датой" not in again.message


@pytest.mark.parametrize(
    ("changes", "differs"),
    [
        ({"account": "660100000002"}, "счёт 660100000002"),
        ({"amount": "812.00"}, "сумма 812,00 ₽"),
        ({"account": "660100000002", "amount": "1000"}, "счёт 660100000002, сумма 1\u00a0000,00 ₽"),
    ],
    ids=["account", "amount", "both"],
)
def test_a_kabinet_payment_with_another_account_or_amount_is_refused(load, kabinets, changes, differs):
    before = state()
    batch = load("66,660100000002,2026-11-08,99,post,RP-12", kabinet_row(kabinets, **changes))
    assert batch.status == ImportBatch.Status.REJECTED
    assert rejected(batch) == [
        (
            3,
            f"платёж {kabinets.acquirer_id} (online) оплачен в Кабинете: счёт 660100000001, 812,40 ₽ — в файле "
            f"{differs}; онлайн-оплата Кабинета принимается только с тем же счётом и суммой (дата может отличаться)",
        )
    ]
    assert state() == before  # nothing counted twice, nothing else loaded


def test_a_kabinet_refund_in_billings_payment_file_is_refused(load, kabinets, accounts):
    staff = make_customer("+79120000009")
    returned = refunded_online(kabinets, "100.00", staff)
    assert returned.ledger_entry.amount == Decimal("-100.00")
    batch = load(f"66,660100000001,{timezone.localdate()},100.00,online,{returned.acquirer_id}")
    assert batch.status == ImportBatch.Status.REJECTED
    assert rejected(batch) == [
        (
            2,
            f"платёж {returned.acquirer_id} (online) — это возврат онлайн-оплаты, сделанный в Кабинете "
            "(счёт 660100000001, возвращено 100,00 ₽): возвраты файлом платежей не загружаются",
        )
    ]


def test_another_online_payment_billing_sends_again_with_another_date_is_still_an_error(load, kabinets):
    load("66,660100000001,2026-11-07,250.5,online,SBP-77")  # billing's own: not made in Kabinet
    batch = load("66,660100000001,2026-11-08,250.5,online,SBP-77", name="again.csv")
    assert batch.status == ImportBatch.Status.REJECTED
    assert rejected(batch)[0][1].startswith("платёж SBP-77 (online) уже загружен: счёт 660100000001, 07.11.2026")


def test_billings_file_before_kabinet_learns_the_outcome_counts_the_payment_once(load, demo_acquirer, accounts):
    """Billing has the payment from the acquirer's registry before Kabinet's check: the file
    records it, Kabinet's success then finds that entry, and the next file changes nothing."""
    customer = make_customer("+79120000001", accounts[0])
    payment = start_payment(
        user=customer,
        account=accounts[0],
        amount=Decimal("500.00"),
        method="sbp",
        receipt_phone="+79120000001",
        return_url="/",
    )
    first = load(f"66,660100000001,{timezone.localdate()},500.00,online,{payment.acquirer_id}")
    assert first.status == OK and first.rows_created == 1 and "узнано" not in first.message
    finish(payment.acquirer_id, paid=True)
    payment = check_payment(payment)
    assert payment.status == OnlinePayment.Status.SUCCEEDED
    entry = Payment.objects.get(source_id=payment.acquirer_id)
    assert payment.ledger_entry == entry
    again = load(f"66,660100000001,{timezone.localdate()},500.00,online,{payment.acquirer_id}", force=True)
    assert again.status == OK and counts(again) == (1, 0, 0, 1) and "узнано по номеру ЮKassa: 1" in again.message
    assert Payment.objects.filter(channel="online").count() == 1
