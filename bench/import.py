"""The billing exchange at the scale of a branch, imported into PostgreSQL beside COPY.

Generates a branch in a temp dir — by default 1 000 000 accounts (every 20th closed and
replaced by the next line), a meter per account (every 20th account with a removed meter
replaced by a new one), a month of accruals (3 lines per account: 3 000 000) and a payment
per account — then, in this one process, for each kind in turn (accounts, meters, accruals,
payments):

  import     `manage.py import_<kind>`'s path (kabinet.exchange.runner.run_import): rows/s;
             accruals and payments include the rebuild of the touched accounts' balances
  COPY       the same file into an UNLOGGED table of text columns (psycopg `cursor.copy`):
             rows/s, and the import's ratio to it
  duplicate  the same file again: found by its checksum, nothing done
  re-run     the same rows again with force: every row unchanged, nothing rewritten
  memory     the process's peak resident memory so far (resource.getrusage)

each with the load average (other work on the machine makes the figures noisy). The step
timings of each import go to stderr (logger kabinet.exchange at debug level); a table for
docs/exchange.md is printed at the end.

Uses DATABASE_URL if set, else creates a temp database on 127.0.0.1:5432 as user postgres
(trust auth) and drops it at the end.

    .venv/bin/python bench/import.py [--accounts 1000000] [--kinds accounts,meters,accruals,payments]
"""

import argparse
from collections.abc import Callable
import os
from pathlib import Path
import resource
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
STREETS = ["ул. Малышева", "ул. Ленина", "пр-т Космонавтов", "ул. 8 Марта", "ул. Белинского", "пер. Банковский"]
KINDS = ("accounts", "meters", "accruals", "payments")
CHANNELS = ("bank", "online", "post", "office")


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


def generate_meters(path: Path, accounts: int) -> None:
    """An electricity meter per account (two zones); every 20th account also has its old
    one-zone meter, removed and replaced by the current one."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("region,account,service,serial,zones,digits,installed_on,verification_due,removed_on,replaced_by\n")
        for n in range(accounts):
            number = f"6601{n:08d}"
            if n % 20 == 7:
                out.write(f"66,{number},electricity,O{n:09d},1,5,2010-05-01,2026-05-01,2024-04-15,E{n:09d}\n")
                out.write(f"66,{number},electricity,E{n:09d},2,6,2024-04-15,2040-04-15,,\n")
            else:
                out.write(f"66,{number},electricity,E{n:09d},2,6,2019-03-01,2035-03-01,,\n")


def generate_accruals(path: Path, accounts: int) -> None:
    """October 2026 for every account: electricity by two zones and hot water with a recalculation."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason\n")
        for n in range(accounts):
            number = f"6601{n:08d}"
            out.write(f"66,{number},2026-10,electricity,1,150,6.7100,1006.50,,\n")
            out.write(f"66,{number},2026-10,electricity,2,70,3.3800,236.60,,\n")
            out.write(f"66,{number},2026-10,hot-water,,3.215,308.8900,993.08,-200.00,Перерасчёт\n")


def generate_payments(path: Path, accounts: int) -> None:
    """A payment per account in October or November 2026, by each channel in turn."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("region,account,paid_on,amount,channel,payment_id\n")
        for n in range(accounts):
            day = f"2026-10-{n % 31 + 1:02d}" if n % 3 else f"2026-11-{n % 25 + 1:02d}"
            out.write(f"66,6601{n:08d},{day},{1000 + n % 900}.{n % 100:02d},{CHANNELS[n % 4]},P{n:09d}\n")


GENERATORS: dict[str, Callable[[Path, int], None]] = {
    "accounts": generate,
    "meters": generate_meters,
    "accruals": generate_accruals,
    "payments": generate_payments,
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def cpu_seconds() -> tuple[float, float]:
    """CPU time so far of this process and of its PostgreSQL backend (same machine: /proc): the
    work an import did, whatever else the machine was doing meanwhile."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        server = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:  # PostgreSQL on another machine
        server = float("nan")
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help="which kinds to measure, comma-separated (accounts are loaded anyway: the others name them)",
    )
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        parser.error(f"unknown kinds {', '.join(unknown)}; known: {', '.join(KINDS)}")

    import psycopg

    temp_db = None
    if not os.environ.get("DATABASE_URL"):
        temp_db = f"kabinet_bench_import_{os.getpid()}"
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{temp_db}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{temp_db}"
    workdir = tempfile.TemporaryDirectory(prefix="kabinet-bench-import-")
    try:
        run(Path(workdir.name), args.accounts, kinds)
    finally:
        workdir.cleanup()
        if temp_db:
            from django.db import connections

            connections.close_all()
            with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{temp_db}" WITH (FORCE)')


def setup(workdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    os.environ.setdefault("KABINET_DATA_DIR", str(workdir / "data"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    logging.getLogger("kabinet.exchange").setLevel(logging.DEBUG)  # the time of each step
    logging.getLogger("kabinet.billing").setLevel(logging.DEBUG)
    from django.core.management import call_command

    from kabinet.billing.models import PersonalAccount, Region, Service

    call_command("migrate", verbosity=0)
    if PersonalAccount.objects.exists():
        sys.exit("DATABASE_URL names a database with accounts: the bench needs an empty registry")
    Region.objects.get_or_create(
        code="66",
        defaults={"name": "Свердловский", "contact_phone": "+7 343 000-00-00", "feedback_url": "https://example.ru/"},
    )
    for code, name, unit in (("electricity", "Электроснабжение", "кВт·ч"), ("hot-water", "Горячая вода", "м³")):
        Service.objects.get_or_create(code=code, defaults={"name": name, "unit": unit})


def copy_seconds(path: Path) -> float:
    """COPY of the file as it is into an UNLOGGED table of text columns."""
    from django.db import connection

    with open(path, encoding="utf-8") as text:
        columns = text.readline().strip().split(",")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_copy ({', '.join(c + ' text' for c in columns)})")
        with (
            open(path, "rb") as binary,
            cursor.cursor.copy(f"COPY bench_copy ({', '.join(columns)}) FROM STDIN (FORMAT csv, HEADER true)") as copy,
        ):
            while block := binary.read(1 << 20):
                copy.write(block)
        cursor.execute("DROP TABLE bench_copy")
    return time.perf_counter() - started


def measure(kind: str, path: Path, rows: int) -> dict:
    from kabinet.exchange.models import ImportBatch
    from kabinet.exchange.runner import run_import

    def load(**options) -> tuple[ImportBatch, float]:
        started, (python, server) = time.perf_counter(), cpu_seconds()
        with open(path, "rb") as binary:
            batch = run_import(kind, binary, file_name=path.name, source="bench/import.py", **options)
        python_after, server_after = cpu_seconds()
        cpu[options.get("force", False)] = (python_after - python, server_after - server)
        return batch, time.perf_counter() - started

    cpu: dict[bool, tuple[float, float]] = {}
    figures = {"kind": kind, "rows": rows}
    print(f"--- {kind}: {rows:,} rows, {path.stat().st_size / 1e6:.0f} MB", flush=True)
    figures["load_before"] = load_average()
    batch, seconds = load()
    assert batch.status == ImportBatch.Status.DONE, batch.message
    figures.update(seconds=seconds, load=load_average())
    figures["cpu"] = cpu[False]
    print(f"import      {seconds:7.1f} s  {rows / seconds:>10,.0f} rows/s   load {figures['load']}   {batch.message}")
    print("            CPU: Python {:.1f} s, PostgreSQL backend {:.1f} s".format(*cpu[False]))
    copy = copy_seconds(path)
    figures["copy"] = copy
    print(f"COPY        {copy:7.1f} s  {rows / copy:>10,.0f} rows/s   import / COPY = {seconds / copy:.0f}× the time")
    batch, seconds = load()
    assert batch.status == ImportBatch.Status.DUPLICATE, batch.message
    print(f"duplicate   {seconds:7.1f} s  {batch.message}")
    batch, seconds = load(force=True)
    assert batch.status == ImportBatch.Status.DONE and batch.rows_created == batch.rows_updated == 0, batch.message
    figures.update(rerun=seconds, rerun_load=load_average(), memory=peak_mb(), rerun_cpu=cpu[True])
    rate = rows / seconds
    print(f"re-run      {seconds:7.1f} s  {rate:>10,.0f} rows/s   load {figures['rerun_load']}   {batch.message}")
    print("            CPU: Python {:.1f} s, PostgreSQL backend {:.1f} s".format(*cpu[True]))
    print(f"peak memory {figures['memory']:7.0f} MB (resident, this process, so far)", flush=True)
    return figures


def run(workdir: Path, accounts: int, kinds: list[str]) -> None:
    setup(workdir)
    print(f"peak memory before the imports: {peak_mb():.0f} MB; load average {load_average()}")
    results = []
    for kind in KINDS:
        if kind not in kinds and kind != "accounts":
            continue
        path = workdir / f"{kind}.csv"
        started = time.perf_counter()
        GENERATORS[kind](path, accounts)
        with open(path, "rb") as binary:
            rows = sum(block.count(b"\n") for block in iter(lambda: binary.read(1 << 20), b"")) - 1
        print(f"generated {path.name}: {rows:,} rows in {time.perf_counter() - started:.1f} s", flush=True)
        if kind in kinds:
            results.append(measure(kind, path, rows))
        else:
            from kabinet.exchange.runner import run_import

            with open(path, "rb") as binary:
                run_import(kind, binary, file_name=path.name, source="bench/import.py")
        path.unlink()
    print()
    print(
        "| kind | rows | import | rows/s | CPU Python + PG | COPY | import / COPY | re-run (force) | CPU Python + PG "
        "| peak memory | load average (before → after import; after re-run) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for f in results:
        print(
            f"| {f['kind']} | {f['rows']:,} | {f['seconds']:.1f} s | {f['rows'] / f['seconds']:,.0f} | "
            "{:.0f} + {:.0f} s | ".format(*f["cpu"])
            + f"{f['copy']:.1f} s ({f['rows'] / f['copy']:,.0f}/s) | {f['seconds'] / f['copy']:.0f}× | "
            f"{f['rerun']:.1f} s | "
            "{:.0f} + {:.0f} s | ".format(*f["rerun_cpu"])
            + f"{f['memory']:.0f} MB | {f['load_before']} → {f['load']}; {f['rerun_load']} |"
        )


if __name__ == "__main__":
    main()
