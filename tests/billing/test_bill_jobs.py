"""Stored bills and the monthly job (re-runnable, no duplicates), the 36-month window, and
«электронная квитанция» (sent once per month, after commit, logged)."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
import os

from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
import pytest

from kabinet.billing import bill_jobs, demo
from kabinet.billing.balances import rebuild_balances
from kabinet.billing.bill_jobs import (
    CREATED,
    UNCHANGED,
    UPDATED,
    NoEmail,
    bill_months,
    bill_window,
    customer_bill,
    generate_bills,
    in_window,
    send_electronic_bills,
    store_bill,
    subscribe,
    unsubscribe,
)
from kabinet.billing.bills import NoBill, bill_data
from kabinet.billing.models import Bill, BillSubscription, Payment, PersonalAccount, Region
from kabinet.billing.periods import parse_period, previous_month
from kabinet.billing.tasks import generate_monthly_bills, send_monthly_electronic_bills
from kabinet.core.storage import private_storage
from kabinet.notifications.models import Message
from tests.factories import (
    PERIOD,
    accrue,
    admin_login,
    make_account,
    make_billed,
    make_customer,
    pdf_text,
    stored_bytes,
)

TODAY = date(2026, 11, 15)


@pytest.fixture
def rendered(monkeypatch):
    """Counts the PDFs actually rendered."""
    calls = []
    real = bill_jobs.render_bill_pdf

    def render(data):
        calls.append(data.account_number)
        return real(data)

    monkeypatch.setattr(bill_jobs, "render_bill_pdf", render)
    return calls


def stored(bill: Bill) -> bytes:
    return stored_bytes(bill.pdf.name)


# --- The window -----------------------------------------------------------------------------
def test_the_window_is_this_month_and_the_36_before_it():
    assert bill_window(TODAY) == (date(2023, 11, 1), date(2026, 11, 1))
    assert in_window(date(2023, 11, 1), TODAY)
    assert in_window(date(2026, 10, 1), TODAY)
    assert in_window(date(2026, 11, 1), TODAY), "the current month, once billed"
    assert not in_window(date(2023, 10, 1), TODAY), "37 months back"
    assert not in_window(date(2026, 12, 1), TODAY), "the future"


def test_months_roll_over_the_year():
    assert bill_window(date(2026, 1, 31)) == (date(2023, 1, 1), date(2026, 1, 1))
    assert previous_month(date(2026, 1, 31)) == date(2025, 12, 1)


@pytest.mark.parametrize("value", ["2026-10", "1999-01", "2026-12"])
def test_parse_period(value):
    assert parse_period(value) == date(int(value[:4]), int(value[5:]), 1)


@pytest.mark.parametrize("value", ["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "2026-10-01", "октябрь"])
def test_parse_period_refuses(value):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_period(value)


def test_customer_bill_outside_the_window_is_no_bill(account, customer):
    make_billed(account)
    with pytest.raises(NoBill):
        customer_bill(account, PERIOD, today=date(2029, 11, 1))
    with pytest.raises(NoBill):
        customer_bill(account, PERIOD, today=date(2026, 9, 30))
    assert customer_bill(account, PERIOD, today=TODAY).period == PERIOD


def test_bill_months_lists_billed_months_newest_first_with_amounts(account, customer):
    make_billed(account)
    months = bill_months(account, TODAY)
    assert [m.period for m in months] == [date(2026, 10, 1), date(2026, 9, 1)]
    assert months[0].to_pay == Decimal("1536.18")
    assert months[1].to_pay == Decimal("500.00")


# --- Storing and the job --------------------------------------------------------------------
def test_store_bill_renders_once_and_skips_unchanged(account, customer, rendered):
    make_billed(account)
    bill, outcome = store_bill(account, PERIOD)
    assert outcome == CREATED
    assert bill.amount == Decimal("1536.18")
    assert stored(bill).startswith(b"%PDF-")
    assert "660100000001" not in bill.pdf.name, "the stored name says nothing of the customer"
    again, outcome = store_bill(account, PERIOD)
    assert (again.pk, outcome) == (bill.pk, UNCHANGED)
    assert rendered == ["660100000001"], "not rendered again"


def test_a_changed_bill_is_regenerated_in_place(account, customer, rendered, django_capture_on_commit_callbacks):
    make_billed(account)
    bill, _ = store_bill(account, PERIOD)
    old = bill.pdf.name
    Payment.objects.create(account=account, paid_on=date(2026, 10, 25), amount=Decimal("36.18"), channel="bank")
    rebuild_balances(account, opening=Decimal("500.00") - Decimal("2236.18"))
    with django_capture_on_commit_callbacks(execute=True):
        again, outcome = store_bill(account, PERIOD)
        assert (again.pk, outcome) == (bill.pk, UPDATED)
        assert again.amount == Decimal("1500.00")
        assert Bill.objects.count() == 1
        assert private_storage().exists(old), "the old file goes only after commit"
    assert not private_storage().exists(old)
    assert "1 500,00 ₽" in pdf_text(stored(again))


def test_a_bill_whose_file_is_lost_is_rendered_again(account, customer, rendered):
    make_billed(account)
    bill, _ = store_bill(account, PERIOD)
    private_storage().delete(bill.pdf.name)
    again, outcome = store_bill(account, PERIOD)
    assert outcome == UPDATED
    assert stored(again).startswith(b"%PDF-")


def test_generate_bills_for_every_account_with_accruals_and_rerun_safely(sverdlovsk, rendered):
    accounts = [make_account(sverdlovsk, f"66010000000{n}", flat=str(n)) for n in range(1, 4)]
    make_billed(accounts[0])
    accrue(accounts[1], PERIOD)  # nobody holds it: a bill all the same
    accrue(accounts[2], date(2026, 9, 1))  # nothing in October

    first = generate_bills(PERIOD)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert set(Bill.objects.values_list("account__number", flat=True)) == {"660100000001", "660100000002"}

    second = generate_bills(PERIOD)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert Bill.objects.count() == 2, "no duplicates"
    assert len(rendered) == 2, "unchanged bills are not rendered again"

    Payment.objects.create(account=accounts[1], paid_on=date(2026, 10, 9), amount=Decimal("10.00"), channel="bank")
    third = generate_bills(PERIOD)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert Bill.objects.count() == 2


def test_a_bill_stored_while_the_job_renders_is_not_overwritten_with_older_data(account, customer, monkeypatch):
    """The job reads a chunk's data and stored bills, then renders up to CHUNK_SIZE bills; a
    customer who downloads the bill meanwhile stores one from newer data. The render is our own
    function the job calls in that gap, so the download is made from there."""
    make_billed(account)
    store_bill(account, PERIOD)
    Payment.objects.create(account=account, paid_on=date(2026, 10, 9), amount=Decimal("10.00"), channel="bank")
    real = bill_jobs.render_bill_pdf
    downloaded = []

    def render_while_the_customer_downloads(data):
        if not downloaded:
            downloaded.append(True)
            Payment.objects.create(account=account, paid_on=date(2026, 10, 10), amount=Decimal("20.00"), channel="bank")
            downloaded[0] = customer_bill(account, PERIOD, TODAY)
        return real(data)

    monkeypatch.setattr(bill_jobs, "render_bill_pdf", render_while_the_customer_downloads)
    run = generate_bills(PERIOD)
    assert (run.updated, run.unchanged) == (0, 1)
    bill = Bill.objects.get()
    assert bill.pdf.name == downloaded[0].pdf.name
    assert bill.fingerprint == bill_data(account, PERIOD).fingerprint(), "the newer data"
    assert "20,00" in pdf_text(stored(bill))


# A re-run reads the accounts, then for each chunk of them their accruals, payments, balances
# and stored bills: four queries however many accounts a chunk holds.
QUERIES_PER_CHUNK = 4


def rerun_queries(region, accounts: int, *, balances: bool = True) -> int:
    """Queries of a re-run of the month's bills once there are `accounts` billed accounts."""
    while PersonalAccount.objects.count() < accounts:
        n = PersonalAccount.objects.count() + 1
        account = make_account(region, f"6601000000{n:02d}", flat=str(n))
        accrue(account, PERIOD)
        if balances:
            rebuild_balances(account)
    generate_bills(PERIOD)
    with CaptureQueriesContext(connection) as rerun:
        assert generate_bills(PERIOD).unchanged == accounts
    return len(rerun.captured_queries)


def test_generate_bills_reads_a_chunk_of_accounts_in_the_same_few_queries(sverdlovsk, monkeypatch):
    assert rerun_queries(sverdlovsk, 3) == rerun_queries(sverdlovsk, 9) == 1 + QUERIES_PER_CHUNK
    monkeypatch.setattr(bill_jobs, "CHUNK_SIZE", 4)
    assert rerun_queries(sverdlovsk, 9) == 1 + 3 * QUERIES_PER_CHUNK, "chunks of 4, 4 and 1 accounts"


def test_accounts_whose_balances_are_not_rebuilt_cost_one_query_more_per_chunk(sverdlovsk):
    few, many = rerun_queries(sverdlovsk, 3, balances=False), rerun_queries(sverdlovsk, 9, balances=False)
    assert few == many == 1 + QUERIES_PER_CHUNK + 1, "their latest balances, all at once"


def test_command_and_task(account, customer):
    make_billed(account)
    out = StringIO()
    call_command("generate_bills", "--period", "2026-10", stdout=out)
    assert "bills for 2026-10: 1 created, 0 regenerated, 0 unchanged" in out.getvalue()
    assert generate_monthly_bills.delay("2026-10").get() == "bills for 2026-10: 1 batches queued"
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("generate_bills", "--period", "2026-13")


def billed_accounts(region, count: int) -> list:
    accounts = [make_account(region, f"6601000001{n:02d}", flat=str(n)) for n in range(count)]
    for account in accounts:
        accrue(account, PERIOD)
    return accounts


def test_batches_cover_each_billed_account_once_in_id_order(sverdlovsk):
    accounts = billed_accounts(sverdlovsk, 5)
    accrue(make_account(sverdlovsk, "660100000299", flat="99"), date(2026, 9, 1))  # not billed in October
    batches = bill_jobs.bill_batches(PERIOD, size=2)
    assert len(batches) == 3
    ids = [a.pk for a in accounts]
    assert batches == [(ids[0], ids[1]), (ids[2], ids[3]), (ids[4], ids[4])]
    assert bill_jobs.bill_batches(PERIOD, size=5) == [(ids[0], ids[4])]
    assert bill_jobs.bill_batches(date(2026, 8, 1)) == []


def test_batches_together_make_the_whole_run(sverdlovsk):
    billed_accounts(sverdlovsk, 5)
    runs = [generate_bills(PERIOD, *batch) for batch in bill_jobs.bill_batches(PERIOD, size=2)]
    assert [run.created for run in runs] == [2, 2, 1]
    assert str(sum(runs, bill_jobs.BillRun(PERIOD))) == "bills for 2026-10: 5 created, 0 regenerated, 0 unchanged"
    assert Bill.objects.count() == 5


def test_the_monthly_task_queues_one_task_per_batch(sverdlovsk, monkeypatch):
    billed_accounts(sverdlovsk, 3)
    monkeypatch.setattr(bill_jobs, "BATCH_SIZE", 2)
    assert generate_monthly_bills.delay("2026-10").get() == "bills for 2026-10: 2 batches queued"
    assert Bill.objects.count() == 3, "eager mode runs the batches in place"


@pytest.mark.django_db(transaction=True)
def test_the_command_shares_the_job_among_processes(sverdlovsk, monkeypatch):
    billed_accounts(sverdlovsk, 5)
    monkeypatch.setattr(bill_jobs, "BATCH_SIZE", 2)
    parent = os.getpid()
    pids = []
    real = bill_jobs.store_bill

    def store(account, period):
        pids.append(os.getpid())
        assert os.getpid() != parent, "stored in a worker process"
        return real(account, period)

    monkeypatch.setattr(bill_jobs, "store_bill", store)
    out = StringIO()
    call_command("generate_bills", "--period", "2026-10", "--processes", "2", stdout=out)
    assert "bills for 2026-10: 5 created, 0 regenerated, 0 unchanged" in out.getvalue()
    assert Bill.objects.count() == 5 and not pids, "the parent stored nothing itself"
    with pytest.raises(CommandError, match="1 or more"):
        call_command("generate_bills", "--processes", "0")


def test_command_defaults_to_the_previous_month(account, customer):
    last_month = previous_month(timezone.localdate())
    accrue(account, last_month)
    out = StringIO()
    call_command("generate_bills", stdout=out)
    assert f"bills for {last_month:%Y-%m}: 1 created" in out.getvalue()


# --- «Электронная квитанция» ----------------------------------------------------------------
def test_subscribing_needs_a_confirmed_email(account):
    user = make_customer("+79120000009", account)  # no e-mail
    with pytest.raises(NoEmail):
        subscribe(user, account)
    assert not BillSubscription.objects.exists()


def test_the_bill_is_emailed_once_per_month(account, customer, mailbox, tmp_path):
    make_billed(account)
    subscribe(customer, account)
    run = send_electronic_bills(PERIOD)
    assert (run.sent, run.already_sent) == (1, 0)
    sent = mailbox()
    assert len(sent) == 1
    email = sent[0]
    assert email.to == ["anna@example.ru"]
    assert email.subject == "Квитанция за октябрь 2026 — лицевой счёт 660100000001"
    assert "Здравствуйте, Анна!" in email.body
    assert "К оплате: 1\u00a0536,18\u00a0₽ до 10.11.2026." in email.body
    assert f"/accounts/{account.pk}/bills/" in email.body
    name, content, mimetype = email.attachments[0][:3]
    assert (name, mimetype) == ("kvitanciya-660100000001-2026-10.pdf", "application/pdf")
    assert "660100000001" in pdf_text(content)

    bill = Bill.objects.get()
    assert bill.emailed_at is not None
    assert bill.email_message.status == Message.Status.SENT, "logged in the message log"
    assert bill.email_message.attachment_name == "kvitanciya-660100000001-2026-10.pdf"

    again = send_electronic_bills(PERIOD)
    assert (again.sent, again.already_sent) == (0, 1)
    assert len(mailbox()) == 1, "never the same month twice"

    # A changed bill is regenerated, but not sent again.
    Payment.objects.create(account=account, paid_on=date(2026, 10, 28), amount=Decimal("1.00"), channel="bank")
    generate_bills(PERIOD)
    send_electronic_bills(PERIOD)
    assert len(mailbox()) == 1

    # The next month is sent.
    accrue(account, date(2026, 11, 1))
    assert send_monthly_electronic_bills.delay("2026-11").get().startswith("electronic bills for 2026-11: 1 sent")
    assert len(mailbox()) == 2


def test_nothing_goes_out_if_the_run_rolls_back(account, customer, mailbox, monkeypatch):
    make_billed(account)
    subscribe(customer, account)

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(bill_jobs, "send_email", broken)
    with pytest.raises(RuntimeError):
        send_electronic_bills(PERIOD)
    assert mailbox() == []
    assert Bill.objects.get().emailed_at is None, "the claim rolled back with the failure: sent next run"
    monkeypatch.undo()
    assert send_electronic_bills(PERIOD).sent == 1


def test_only_subscribed_accounts_with_a_holder_and_an_email_get_it(sverdlovsk, mailbox):
    anna_account = make_account(sverdlovsk, "660100000001")
    anna = make_customer("+79120000001", anna_account, email="anna@example.ru")
    boris_account = make_account(sverdlovsk, "660100000002", flat="7")
    boris = make_customer("+79120000002", boris_account, email="boris@example.ru", first_name="Борис")
    quiet_account = make_account(sverdlovsk, "660100000003", flat="8")
    make_customer("+79120000003", quiet_account, email="vera@example.ru", first_name="Вера")
    for account in (anna_account, boris_account, quiet_account):
        accrue(account, PERIOD)
    subscribe(anna, anna_account)
    subscribe(boris, boris_account)
    boris.email = None  # removed from the profile since
    boris.save()

    run = send_electronic_bills(PERIOD)
    assert (run.sent, run.dropped) == (1, 1)
    assert [m.to for m in mailbox()] == [["anna@example.ru"]]


def test_a_subscription_stops_with_the_holder(account, customer, mailbox):
    accrue(account, PERIOD)
    subscribe(customer, account)
    customer.account_links.all().delete()  # the subscription ends with the link (bill_delivery)
    assert not BillSubscription.objects.exists()
    assert send_electronic_bills(PERIOD).sent == 0
    assert mailbox() == []


def test_a_subscription_left_on_an_account_held_by_another_is_skipped(sverdlovsk, account, customer, mailbox):
    """Old data: the link moved to another user without the subscription ending."""
    accrue(account, PERIOD)
    subscribe(customer, account)
    boris = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", flat="6"), email="b@example.ru")
    customer.account_links.all().update(user=boris)
    assert send_electronic_bills(PERIOD).dropped == 1
    assert mailbox() == []


def test_a_month_without_a_bill_sends_nothing(account, customer, mailbox):
    accrue(account, date(2026, 9, 1))
    subscribe(customer, account)
    assert send_electronic_bills(PERIOD).no_bill == 1
    assert mailbox() == []


def test_unsubscribe(account, customer, mailbox):
    accrue(account, PERIOD)
    subscribe(customer, account)
    subscribe(customer, account)
    assert BillSubscription.objects.count() == 1
    unsubscribe(account)
    assert send_electronic_bills(PERIOD).sent == 0
    assert mailbox() == []


def test_send_command(account, customer, mailbox):
    make_billed(account)
    subscribe(customer, account)
    out = StringIO()
    call_command("send_electronic_bills", "--period", "2026-10", stdout=out)
    assert "electronic bills for 2026-10: 1 sent" in out.getvalue()
    assert len(mailbox()) == 1


# --- Demo payee details ---------------------------------------------------------------------
def test_demo_regions_get_payee_details_with_valid_check_digits(db):
    demo.ensure_regions(demo.Report())
    region = Region.objects.get(code="66")
    assert region.payee_name == "АО «Энергосбыт» (Свердловский филиал)"
    assert region.bank_bic == "044525999"
    assert len(region.bank_account) == len(region.bank_corr_account) == 20
    assert len(region.payee_inn) == 10 and len(region.payee_kpp) == 9
    # The standard algorithm as banks check it: Сбербанк's real numbers pass through the helper.
    assert demo._bank_account("025", "30101810000000000225") == "30101810400000000225"
    assert demo._inn10("770708389") == "7707083893"


def test_demo_fills_only_empty_payee_fields(db):
    demo.ensure_regions(demo.Report())
    Region.objects.filter(code="66").update(payee_name="ООО «Своё»", bank_bic="", bank_account="")
    demo.ensure_regions(demo.Report())
    region = Region.objects.get(code="66")
    assert region.payee_name == "ООО «Своё»", "what the admin entered stays"
    assert region.bank_bic == "044525999"
    assert region.bank_account == demo.payee_details(demo.REGIONS[0])["bank_account"]


def test_window_edges_with_real_today(account, customer):
    """The current month and 36 back are in; today's date moves the window."""
    today = timezone.localdate()
    first = today.replace(day=1)
    assert in_window(first, today)
    assert not in_window((first + timedelta(days=32)).replace(day=1), today)


def test_admin_lists_bills_and_subscriptions_read_only(client, account, customer):
    from django.urls import reverse

    from kabinet.identity.models import User

    make_billed(account)
    bill, _ = store_bill(account, PERIOD)
    subscribe(customer, account)
    admin = User.objects.create_superuser("+79990000000", "Admin-Demo-2026!")
    admin_login(client, admin)
    assert "660100000001" in client.get(reverse("admin:billing_bill_changelist")).content.decode()
    assert client.get(reverse("admin:billing_bill_change", args=[bill.pk])).status_code == 200
    assert "660100000001" in client.get(reverse("admin:billing_billsubscription_changelist")).content.decode()
