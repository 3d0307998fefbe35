"""The portal keeps serving while a file loads, and shows the previous data until the file is
in whole (issue 12). PostgreSQL: the import runs in another process (`manage.py
import_accruals`), held inside its one transaction after it has written the new accruals,
while the customer opens «Начисления и платежи»."""

import io
import os
from pathlib import Path
import subprocess
import sys

from django.db import connection
from django.utils import timezone
import pytest

from kabinet.billing.models import Region
from kabinet.billing.periods import add_months
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import
from tests.factories import (
    csv_bytes,
    customer_login,
    database_url,
    electricity,
    make_account,
    make_customer,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
APP = "kabinet-import-while-serving"
HEADER = "region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason"


def test_the_charges_page_serves_the_previous_month_while_the_next_one_loads(client, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("a second process on one SQLite test database: PostgreSQL only")
    import psycopg

    electricity()
    region = Region.objects.create(code="66", name="Свердловский", contact_phone="8-800-700-10-32")
    account = make_account(region, "660100000001")
    customer_login(client, make_customer("+79120000001", account))
    this_month = timezone.localdate().replace(day=1)
    earlier, latest = add_months(this_month, -2), add_months(this_month, -1)
    line = "66,660100000001,{:%Y-%m},electricity,1,100,{},{},,"
    binary = io.BytesIO(csv_bytes(line.format(earlier, "1.2345", "123.45"), header=HEADER))
    first = run_import("accruals", binary, file_name="first.csv", source="tests")
    assert first.status == ImportBatch.Status.DONE, first.message
    charges = f"/accounts/{account.pk}/"
    assert "123,45" in client.get(charges).content.decode()

    path = tmp_path / "next.csv"
    path.write_bytes(csv_bytes(line.format(latest, "9.8765", "987.65"), header=HEADER))
    env = {**os.environ, "DATABASE_URL": database_url(), "PGAPPNAME": APP}
    command = [sys.executable, str(ROOT / "manage.py"), "import_accruals", str(path), "--no-progress"]
    with psycopg.connect(database_url(), autocommit=True) as watch, psycopg.connect(database_url()) as blocker:
        # Readers may read month balances, writers wait: the import stops after writing the
        # new accruals, before the balances — in the middle of its one transaction.
        blocker.execute("LOCK TABLE billing_monthbalance IN EXCLUSIVE MODE")
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            waiting = (
                "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'"
            )
            wait_until(lambda: watch.execute(waiting, [APP]).fetchone()[0], "the import reaching the balances")
            during = client.get(charges)
            assert during.status_code == 200
            page = during.content.decode()
            assert "123,45" in page and "987,65" not in page  # the previous state, whole
        finally:
            blocker.rollback()  # let the import go on
            output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output.decode()
    page = client.get(charges).content.decode()
    assert "123,45" in page and "987,65" in page
