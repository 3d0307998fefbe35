"""`export_payments`: the online payments and refunds made in Kabinet go to billing, each
exactly once incrementally, any month again on demand; a killed or failed export marks nothing;
billing's own payments never go back to it; the receipt's e-mail and phone never leave."""

from datetime import date
from decimal import Decimal
import hashlib
import io
import os
from pathlib import Path
import signal
import subprocess
import sys

from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.billing.models import Payment
from kabinet.exchange import exports
from kabinet.exchange.abandoned import KILLED_EXPORT
from kabinet.exchange.models import ExportBatch, ExportedPayment
from kabinet.exchange.payments_export import export_payments
from kabinet.exchange.runner import run_import
from kabinet.exchange.tasks import export_for_billing
from kabinet.identity.models import User
from kabinet.payments.services import start_payment
from tests.factories import (
    admin_login,
    csv_bytes,
    database_url,
    export_crashing_before_commit,
    make_account,
    make_customer,
    paid_in_demo,
    refunded_online,
    wait_until,
)

HEADER = "region,account,paid_on,amount,channel,payment_id,refund_of,method"
ROOT = Path(__file__).resolve().parents[2]
APP = "kabinet-killed-payments-export"


@pytest.fixture
def out(settings, tmp_path):
    settings.KABINET_EXCHANGE_OUT_DIR = tmp_path / "exchange" / "out"
    settings.KABINET_EXCHANGE_S3_BUCKET = ""
    return settings.KABINET_EXCHANGE_OUT_DIR


@pytest.fixture
def account(sverdlovsk):
    return make_account(sverdlovsk, "660100000001")


@pytest.fixture
def customer(account):
    return make_customer("+79120000001", account, email="anna@example.ru")


@pytest.fixture
def staff():
    return User.objects.create_superuser("+79990000000", "Admin-Demo-2026!")


def run(**options) -> ExportBatch:
    return export_payments(source="tests", **options)


def lines(batch: ExportBatch, out) -> list[str]:
    return (out / batch.file_name).read_bytes().decode("utf-8").splitlines()


def ids(batch: ExportBatch, out) -> list[str]:
    return [line.split(",")[5] for line in lines(batch, out)[1:]]


def test_payments_and_refunds_with_their_original_and_method(out, demo_acquirer, account, customer, staff):
    card = paid_in_demo(customer, account, "812.40")
    sbp = paid_in_demo(customer, account, "100.00", method="sbp")
    back = refunded_online(card, "12.40", staff)
    today = timezone.localdate().isoformat()
    batch = run()
    assert batch.status == ExportBatch.Status.DONE and batch.rows == 3 and batch.period == "incremental"
    data = (out / batch.file_name).read_bytes()
    assert data.decode().split("\r\n") == [
        HEADER,
        f"66,660100000001,{today},812.40,online,{card.acquirer_id},,bank_card",
        f"66,660100000001,{today},100.00,online,{sbp.acquirer_id},,sbp",
        f"66,660100000001,{today},-12.40,online,{back.acquirer_id},{card.acquirer_id},bank_card",
        "",
    ]
    assert batch.checksum == hashlib.sha256(data).hexdigest()
    assert batch.file_name.startswith("payments-incremental-") and batch.file_name.endswith(f"-{batch.pk}.csv")
    assert [p.name for p in out.iterdir()] == [batch.file_name]  # no temporary file left
    assert "Выгружено новых онлайн-платежей и возвратов: 3" in batch.message
    # 152-ФЗ: nothing about the payer but the account — no receipt e-mail or phone, no name.
    assert b"anna@example.ru" not in data and b"7912" not in data and "Анна".encode() not in data


def test_each_is_exported_exactly_once_and_billings_own_payments_never(out, demo_acquirer, account, customer, staff):
    Payment.objects.create(account=account, paid_on=date(2026, 11, 5), amount=10, channel="online", source_id="SBP-1")
    Payment.objects.create(account=account, paid_on=date(2026, 11, 5), amount=20, channel="bank", source_id="SB-1")
    first = paid_in_demo(customer, account, "500.00")
    start_payment(  # never paid: no entry, nothing to export
        user=customer, account=account, amount=Decimal("1.00"), method="sbp", receipt_email="a@b.ru", return_url="/"
    )
    one = run()
    second = paid_in_demo(customer, account, "300.00")
    back = refunded_online(first, "500.00", staff)
    two = run()
    assert ids(one, out) == [first.acquirer_id]
    assert ids(two, out) == [second.acquirer_id, back.acquirer_id]
    assert dict(ExportedPayment.objects.values_list("payment_id", "batch_id")) == {
        first.ledger_entry_id: one.pk,
        second.ledger_entry_id: two.pk,
        back.ledger_entry_id: two.pk,
    }
    three = run()
    assert three.status == ExportBatch.Status.DONE and three.rows == 0 and three.file_name == ""
    assert three.message == "Новых онлайн-платежей и возвратов нет, файл не создан." and len(list(out.iterdir())) == 2


def test_rows_are_read_in_pages(out, demo_acquirer, account, customer, monkeypatch):
    monkeypatch.setattr(exports, "PAGE", 2)
    paid = [paid_in_demo(customer, account, f"{n}.00") for n in range(1, 6)]
    batch = run()
    assert batch.rows == 5 and ids(batch, out) == [p.acquirer_id for p in paid]
    assert ExportedPayment.objects.filter(batch=batch).count() == 5


def test_a_period_is_exported_again_and_marks_nothing(out, demo_acquirer, account, customer):
    october = paid_in_demo(customer, account, "500.00")
    Payment.objects.filter(pk=october.ledger_entry_id).update(paid_on=date(2026, 10, 31))
    paid_in_demo(customer, account, "300.00")
    run()
    again = run(period=date(2026, 10, 1))
    assert again.status == ExportBatch.Status.DONE and again.period == "2026-10" and again.rows == 1
    assert again.file_name.startswith("payments-2026-10-") and ids(again, out) == [october.acquirer_id]
    assert lines(again, out)[1].split(",")[2] == "2026-10-31"
    assert not ExportedPayment.objects.filter(batch=again).exists()
    assert run(period=date(2026, 10, 1)).rows == 1  # as often as asked
    assert lines(run(period=date(2026, 1, 1)), out) == [HEADER]  # an empty month: the header alone


def test_a_crash_before_commit_marks_nothing_and_keeps_its_file(out, demo_acquirer, account, customer, caplog):
    paid = paid_in_demo(customer, account, "500.00")
    export_crashing_before_commit(run, out, caplog)
    assert not ExportedPayment.objects.exists()
    retry = run()  # the next run sends it again
    assert retry.rows == 1 and ids(retry, out) == [paid.acquirer_id]
    assert ExportedPayment.objects.get().batch == retry


@pytest.mark.django_db(transaction=True)
def test_an_export_killed_mid_run_marks_nothing_and_the_next_one_sends_it(out, demo_acquirer, account, customer):
    if connection.vendor != "postgresql":
        pytest.skip("a second process on one SQLite test database: PostgreSQL only")
    import psycopg

    paid = paid_in_demo(customer, account, "500.00")
    env = {**os.environ, "DATABASE_URL": database_url(), "KABINET_EXCHANGE_S3_BUCKET": "", "PGAPPNAME": APP}
    with psycopg.connect(database_url(), autocommit=True) as watch, psycopg.connect(database_url()) as blocker:
        # Hold the markers' table: the export stops inside its transaction, its page written to
        # the temporary file, the markers waiting.
        blocker.execute("LOCK TABLE exchange_exportedpayment IN EXCLUSIVE MODE")
        command = [sys.executable, str(ROOT / "manage.py"), "export_payments", "--out", str(out), "--no-progress"]
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            waiting = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'"
            wait_until(lambda: watch.execute(waiting, [APP]).fetchone()[0] == 1, "the export marking its rows")
            assert ExportBatch.objects.get().status == ExportBatch.Status.RUNNING
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        blocker.rollback()
        gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = %s"
        wait_until(lambda: watch.execute(gone, [APP]).fetchone()[0], "the killed export's session ending")
    assert not ExportedPayment.objects.exists()
    assert not list(out.glob("payments-*.csv"))  # only its temporary file, which billing never reads
    retry = run()
    killed = ExportBatch.objects.exclude(pk=retry.pk).get()
    assert (killed.status, killed.message) == (ExportBatch.Status.FAILED, KILLED_EXPORT)
    assert retry.rows == 1 and ids(retry, out) == [paid.acquirer_id]
    assert ExportedPayment.objects.get().batch == retry


def test_an_exported_payment_billing_brings_back_a_day_later_is_matched(out, demo_acquirer, account, customer):
    """Round trip: exported, then billing's file brings it back dated the next day: matched."""
    paid = paid_in_demo(customer, account, "500.00")
    Payment.objects.filter(pk=paid.ledger_entry_id).update(paid_on=date(2026, 11, 5))
    exported = run()
    row = lines(exported, out)[1].split(",")
    back = csv_bytes(",".join([*row[:2], "2026-11-06", *row[3:6]]), header=",".join(HEADER.split(",")[:6]))
    batch = run_import("payments", io.BytesIO(back), file_name="payments.csv", source="tests")
    assert batch.status == "done" and batch.rows_unchanged == 1, batch.message
    assert Payment.objects.filter(source_id=paid.acquirer_id).count() == 1
    assert run().rows == 0  # nothing new to send


def test_the_command_takes_a_period_and_a_folder(demo_acquirer, account, customer, tmp_path, capsys):
    paid_in_demo(customer, account, "500.00")
    call_command("export_payments", "--out", str(tmp_path / "here"), "--no-progress")
    assert "Выгружено новых онлайн-платежей и возвратов: 1" in capsys.readouterr().out
    month = timezone.localdate().strftime("%Y-%m")
    call_command("export_payments", "--period", month, "--out", str(tmp_path / "here"))
    assert f"Выгружено онлайн-платежей и возвратов за {month[5:]}.{month[:4]}: 1" in capsys.readouterr().out
    assert len(list((tmp_path / "here").glob("payments-*.csv"))) == 2
    assert ExportBatch.objects.filter(source="manage.py export_payments", kind="payments").count() == 2
    with pytest.raises(CommandError, match="ГГГГ-ММ"):
        call_command("export_payments", "--period", "2026-13")


def test_the_command_shows_progress_on_a_terminal(demo_acquirer, account, customer, tmp_path):
    paid_in_demo(customer, account, "500.00")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    err = Terminal()
    call_command("export_payments", "--out", str(tmp_path), stdout=io.StringIO(), stderr=err)
    assert "Онлайн-платежи: 100%" in err.getvalue() and "1.00/1.00" in err.getvalue()


def test_the_nightly_task_exports_payments_and_uploads_them_to_s3(s3, settings, demo_acquirer, account, customer):
    paid = paid_in_demo(customer, account, "500.00")
    result = export_for_billing.delay().get()
    assert "payments done: Выгружено новых онлайн-платежей и возвратов: 1" in result
    batch = ExportBatch.objects.get(kind="payments")
    assert batch.source == "задача Celery" and f"uploaded to S3: {batch.file_name}" in result
    local = settings.KABINET_EXCHANGE_OUT_DIR / "sent" / batch.file_name  # moved there once uploaded
    body = s3.get_object(Bucket=s3.bucket, Key=f"billing/out/{batch.file_name}")["Body"].read()
    assert body == local.read_bytes() and f",online,{paid.acquirer_id},,bank_card".encode() in body
    assert "payments done: Новых онлайн-платежей и возвратов нет" in export_for_billing.delay().get()


def test_the_export_is_in_the_admin_journal(client, out, demo_acquirer, account, customer, staff):
    paid_in_demo(customer, account, "500.00")
    batch = run()
    admin_login(client, staff)
    journal = client.get(reverse("admin:exchange_exportbatch_changelist") + "?kind=payments").content.decode()
    assert batch.file_name in journal and "Выгружен" in journal
    page = client.get(reverse("admin:exchange_exportbatch_change", args=[batch.pk])).content.decode()
    assert batch.checksum in page and 'name="_save"' not in page
