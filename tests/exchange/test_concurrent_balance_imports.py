"""Two imports that rebuild month balances (accruals and payments) at once, each in its own
process, on one account: the second waits for the first's whole transaction on the shared
month-balances lock, not on the first's rows, so neither computes from figures the other is
about to change, and both load (PostgreSQL)."""

from decimal import Decimal
import os
from pathlib import Path
import subprocess
import sys

from django.db import connection, transaction
import pytest

from kabinet.billing.balances import rebuild_balances
from kabinet.billing.models import MonthBalance, PersonalAccount
from kabinet.exchange.models import ImportBatch
from tests.factories import billed_services, csv_bytes, database_url, make_account, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
ACCRUALS = "region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason"
PAYMENTS = "region,account,paid_on,amount,channel,payment_id"


def months() -> list[tuple]:
    return sorted(
        MonthBalance.objects.values_list("account__number", "period", "opening", "accrued", "paid", "closing", "source")
    )


def test_accruals_and_payments_loading_at_once_leave_the_balances_a_fresh_rebuild_gives(sverdlovsk, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("two processes on one SQLite test database: PostgreSQL only")
    import psycopg

    billed_services()
    make_account(sverdlovsk, "660100000001")
    # Months new to the account in both files: each import would insert September–November.
    accruals = tmp_path / "accruals.csv"
    accruals.write_bytes(
        csv_bytes(
            "66,660100000001,2026-09,electricity,1,150,6.7100,1006.50,,",
            "66,660100000001,2026-10,electricity,1,100,6.7100,671.00,,",
            header=ACCRUALS,
        )
    )
    payments = tmp_path / "payments.csv"
    paid = ["66,660100000001,2026-10-05,1000.00,bank,SB-1", "66,660100000001,2026-11-07,500,bank,SB-2"]
    payments.write_bytes(csv_bytes(*paid, header=PAYMENTS))

    def start(kind: str, path: Path, app: str) -> subprocess.Popen:
        env = {**os.environ, "DATABASE_URL": database_url(), "PGAPPNAME": app}
        command = [sys.executable, str(ROOT / "manage.py"), f"import_{kind}", str(path), "--no-progress"]
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    waiting = "SELECT wait_event FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'"
    processes = []
    with psycopg.connect(database_url(), autocommit=True) as watch, psycopg.connect(database_url()) as blocker:
        # Writers of month balances wait: the accruals import stops inside its rebuild, its
        # accruals written, its transaction open.
        blocker.execute("LOCK TABLE billing_monthbalance IN EXCLUSIVE MODE")
        try:
            processes.append(start("accruals", accruals, "kabinet-balances-first"))
            first = wait_until(lambda: watch.execute(waiting, ["kabinet-balances-first"]).fetchone(), "the rebuild")
            assert first == ("relation",)
            processes.append(start("payments", payments, "kabinet-balances-second"))
            second = wait_until(lambda: watch.execute(waiting, ["kabinet-balances-second"]).fetchone(), "the second")
            assert second == ("advisory",)  # the whole first import, not its rows
        finally:
            blocker.rollback()
            outputs = [process.communicate(timeout=120)[0].decode() for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    assert set(ImportBatch.objects.values_list("kind", "status")) == {
        ("accruals", ImportBatch.Status.DONE),
        ("payments", ImportBatch.Status.DONE),
    }
    loaded = months()
    assert [(m[1].month, m[3], m[4], m[5]) for m in loaded] == [
        (9, Decimal("1006.50"), Decimal("0.00"), Decimal("1006.50")),
        (10, Decimal("671.00"), Decimal("1000.00"), Decimal("677.50")),
        (11, Decimal("0.00"), Decimal("500.00"), Decimal("177.50")),
    ]
    with transaction.atomic():
        rebuild_balances(PersonalAccount.objects.get())
        assert months() == loaded
        transaction.set_rollback(True)
