"""The work of an import grows with the file, not with its square (SQLite; PostgreSQL hashes).

Counted in SQLite virtual-machine steps (sqlite3's progress handler), which are the same on
every run: no timing. The demo's 200 000 accrual lines once took minutes on SQLite because a
helper table of the merge had an untyped column, so a correlated EXISTS could not use its
index and scanned it once per staged line."""

import io

from django.db import connection
import pytest

from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import
from tests.factories import ACCOUNTS_HEADER, billed_services, csv_bytes

ACCRUALS = "region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason"


def steps_of(kind: str, data: bytes) -> int:
    """Thousands of SQLite VM steps the import of `data` takes."""
    count = [0]

    def tick() -> int:
        count[0] += 1
        return 0  # go on

    connection.ensure_connection()
    connection.connection.set_progress_handler(tick, 1000)
    try:
        batch = run_import(kind, io.BytesIO(data), file_name=f"{kind}.csv", source="tests")
    finally:
        connection.connection.set_progress_handler(None, 0)
    assert batch.status == ImportBatch.Status.DONE, batch.message
    return count[0]


def accounts_and_accruals(first: int, size: int) -> tuple[bytes, bytes]:
    numbers = [f"6601{n:08d}" for n in range(first, first + size)]
    accounts = csv_bytes(*(f"66,{n},Екатеринбург,ул. Ленина,{n[-4:]},1,,," for n in numbers), header=ACCOUNTS_HEADER)
    lines = []
    for n in numbers:
        lines += [
            f"66,{n},2026-10,electricity,1,150,6.7100,1006.50,,",
            f"66,{n},2026-10,electricity,2,70,3.3800,236.60,,",
        ]
    return accounts, csv_bytes(*lines, header=ACCRUALS)


def test_a_month_of_accruals_four_times_as_long_is_about_four_times_the_work(sverdlovsk):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's step counter")
    billed_services()
    counts = []
    for first, size in ((0, 500), (10_000, 2_000)):
        accounts, accruals = accounts_and_accruals(first, size)
        steps_of("accounts", accounts)
        counts.append(steps_of("accruals", accruals))
    small, large = counts
    assert large < 6 * small, f"{small} → {large} thousand steps for 4× the lines"
