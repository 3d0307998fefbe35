"""Accounts import into PostgreSQL at the scale of a branch, beside COPY of the same file.

Generates N accounts (default 1 000 000) as a CSV in a temp dir — every 20th account closed
and replaced by one further down the file — then, in this one process:

  import     `manage.py import_accounts`'s path (kabinet.exchange.runner.run_import) into an
             empty registry: rows/s
  COPY       the same file into an UNLOGGED table of text columns (psycopg `cursor.copy`):
             rows/s, and the import's ratio to it
  duplicate  the same file again: found by its checksum, nothing done
  re-run     the same rows again with --force: every row unchanged, nothing rewritten
  memory     the process's peak resident memory (resource.getrusage)
  accruals   with --accruals: 3 lines per account (two electricity zones and hot water, one
             month) through `import_accruals`'s path, then the same rows again (unchanged)

Uses DATABASE_URL if set, else creates a temp database on 127.0.0.1:5432 as user postgres
(trust auth) and drops it at the end.

    .venv/bin/python bench/import.py [--accounts 1000000] [--accruals]
"""

import argparse
import os
from pathlib import Path
import resource
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
STREETS = ["ул. Малышева", "ул. Ленина", "пр-т Космонавтов", "ул. 8 Марта", "ул. Белинского", "пер. Банковский"]


def generate(path: Path, accounts: int) -> None:
    """Accounts 6601xxxxxxxx; every 20th closed, replaced by the next account (one line down)."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("region,number,city,street,house,flat,status,replaced_by,closed_on\n")
        for n in range(accounts):
            number = f"6601{n:08d}"
            street = STREETS[n % len(STREETS)]
            house, flat = n // 400 + 1, n % 400 + 1
            if n % 20 == 0 and n + 1 < accounts:
                out.write(f"66,{number},Екатеринбург,{street},{house},{flat},closed,6601{n + 1:08d},2025-12-31\n")
            else:
                out.write(f"66,{number},Екатеринбург,{street},{house},{flat},active,,\n")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--accruals", action="store_true", help="then import 3 accrual lines per account")
    args = parser.parse_args()

    import psycopg

    temp_db = None
    if not os.environ.get("DATABASE_URL"):
        temp_db = f"kabinet_bench_import_{os.getpid()}"
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{temp_db}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{temp_db}"
    workdir = tempfile.TemporaryDirectory(prefix="kabinet-bench-import-")
    try:
        run(Path(workdir.name), args.accounts, args.accruals)
    finally:
        workdir.cleanup()
        if temp_db:
            from django.db import connections

            connections.close_all()
            with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{temp_db}" WITH (FORCE)')


def generate_accruals(path: Path, accounts: int) -> None:
    """October 2026 for every account: electricity by two zones and hot water with a recalculation."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason\n")
        for n in range(accounts):
            number = f"6601{n:08d}"
            out.write(f"66,{number},2026-10,electricity,1,150,6.7100,1006.50,,\n")
            out.write(f"66,{number},2026-10,electricity,2,70,3.3800,236.60,,\n")
            out.write(f"66,{number},2026-10,hot-water,,3.215,308.8900,993.08,-200.00,Перерасчёт\n")


def run_accruals(workdir: Path, accounts: int) -> None:
    from kabinet.billing.models import Service
    from kabinet.exchange.models import ImportBatch
    from kabinet.exchange.runner import run_import

    for code, name, unit in (("electricity", "Электроснабжение", "кВт·ч"), ("hot-water", "Горячая вода", "м³")):
        Service.objects.get_or_create(code=code, defaults={"name": name, "unit": unit})
    path = workdir / "accruals.csv"
    generate_accruals(path, accounts)
    rows = 3 * accounts

    def load(**options) -> tuple[ImportBatch, float]:
        started = time.perf_counter()
        with open(path, "rb") as binary:
            batch = run_import("accruals", binary, file_name=path.name, source="bench/import.py", **options)
        return batch, time.perf_counter() - started

    batch, seconds = load()
    assert batch.status == ImportBatch.Status.DONE, batch.message
    print(f"accruals    {seconds:7.1f} s  {rows / seconds:>10,.0f} rows/s   {batch.message}")
    batch, seconds = load(force=True)
    assert batch.rows_unchanged == rows, batch.message
    print(f"re-run      {seconds:7.1f} s  {rows / seconds:>10,.0f} rows/s   {batch.message}")
    print(f"peak memory {peak_mb():7.0f} MB (resident, this process)")


def run(workdir: Path, accounts: int, accruals: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    os.environ.setdefault("KABINET_DATA_DIR", str(workdir / "data"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    logging.getLogger("kabinet.exchange").setLevel(logging.DEBUG)  # the time of each step
    from django.core.management import call_command
    from django.db import connection

    from kabinet.billing.models import PersonalAccount, Region
    from kabinet.exchange.models import ImportBatch
    from kabinet.exchange.runner import run_import

    call_command("migrate", verbosity=0)
    if Region.objects.filter(code="66").exists() and PersonalAccount.objects.exists():
        sys.exit("DATABASE_URL names a database with accounts: the bench needs an empty registry")
    Region.objects.get_or_create(
        code="66",
        defaults={"name": "Свердловский", "contact_phone": "+7 343 000-00-00", "feedback_url": "https://example.ru/"},
    )
    path = workdir / "accounts.csv"
    started = time.perf_counter()
    generate(path, accounts)
    print(
        f"generated {accounts:,} accounts, {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s"
    )
    print(f"peak memory before the import: {peak_mb():.0f} MB")

    def load(**options) -> tuple[ImportBatch, float]:
        started = time.perf_counter()
        with open(path, "rb") as binary:
            batch = run_import("accounts", binary, file_name=path.name, source="bench/import.py", **options)
        return batch, time.perf_counter() - started

    batch, seconds = load()
    assert batch.status == ImportBatch.Status.DONE, batch.message
    print(f"import      {seconds:7.1f} s  {accounts / seconds:>10,.0f} rows/s   {batch.message}")

    started = time.perf_counter()
    with connection.cursor() as cursor:
        columns = "region, number, city, street, house, flat, status, replaced_by, closed_on"
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_copy ({', '.join(c + ' text' for c in columns.split(', '))})")
        with (
            open(path, "rb") as binary,
            cursor.cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while block := binary.read(1 << 20):
                copy.write(block)
        cursor.execute("DROP TABLE bench_copy")
    copy_seconds = time.perf_counter() - started
    print(
        f"COPY        {copy_seconds:7.1f} s  {accounts / copy_seconds:>10,.0f} rows/s   "
        f"import / COPY = {seconds / copy_seconds:.1f}× the time"
    )

    batch, seconds = load()
    print(f"duplicate   {seconds:7.1f} s  {batch.message}")
    batch, seconds = load(force=True)
    assert batch.rows_unchanged == accounts, batch.message
    print(f"re-run      {seconds:7.1f} s  {accounts / seconds:>10,.0f} rows/s   {batch.message}")
    print(f"peak memory {peak_mb():7.0f} MB (resident, this process)")
    if accruals:
        run_accruals(workdir, accounts)


if __name__ == "__main__":
    main()
