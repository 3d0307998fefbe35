"""The customer's pages with a whole branch loaded, beside the same pages with the demo data alone.

Creates two throw-away PostgreSQL databases on 127.0.0.1:5432 (user postgres, trust auth),
migrates both and runs `load_demo` in both. Into the second it then loads a branch of N
accounts (default 1 000 000) through the real import path (kabinet.exchange.runner.run_import,
what `manage.py import_accounts` and the /admin/ upload run), with the files bench/import.py
generates: accounts, a month of accruals (3 lines per account), and meters and payments when
bench/import.py can generate them. Lines naming an account the demo already has (the generator
numbers accounts 6601xxxxxxxx, like the demo's) are left out, so the demo customers' data is
the same in both databases and only the size of the branch differs.

Then, for Анна Иванова of the README (account 660100012345, password Demo-2026!), in this one
process with Django's test Client (the whole stack: middleware, sessions in the database,
templates; no network), it times each page and counts its SQL queries
(CaptureQueriesContext):

  login     POST /login/ with the account number as the identifier (a fresh visitor each time:
            no session), expecting the redirect to /home/; the argon2 check is part of it
  home      GET /home/ (her two account cards)
  charges   GET /accounts/<id>/ «Начисления и платежи» (two years, charts)
  readings  GET /accounts/<id>/readings/ «Передать показания»

The two databases are measured in alternating turns (branch, demo, demo, branch, branch …,
each turn a few requests per page after a warm-up request), so that load from other
processes on the machine falls on both alike; the connection is switched between rounds. The ratio is the
branch's median over the demo's; a page passes when the ratio is at most 1.20 and the query
count is the same (the exit status is 1 otherwise).

Login throttling (kabinet.core.ratelimit) is not bypassed: a successful login resets the
identifier's and the person's counters and takes the address's attempt back, so any number of
right logins never locks; every login is checked to have reached /home/. The cache (locmem,
shared by both databases in this process) is cleared at each switch all the same.

    .venv/bin/python bench/pages_scale.py [--accounts 1000000] [--rounds 10] [--per-round 5]
    .venv/bin/python bench/pages_scale.py --accounts 20000 --rounds 4    # a quick check
"""

import argparse
import base64
import csv
from dataclasses import dataclass, field
import importlib.util
from io import StringIO
import math
import os
from pathlib import Path
import secrets
import statistics
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
ACCOUNT = "660100012345"  # Анна Иванова's, README
PASSWORD = "Demo-2026!"
PAGES = ("login", "home", "charges", "readings")
LIMIT = 1.20


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    queries: set[int] = field(default_factory=set)


def bench_import_module():
    """bench/import.py (not importable by name: `import` is a keyword)."""
    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "bench" / "import.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup_django(data_dir: str, database: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="kabinet.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        KABINET_DATA_DIR=data_dir,
        KABINET_ATTACHMENTS_DIR=str(Path(data_dir) / "attachments"),
        DJANGO_DEBUG="0",  # production settings: cached templates, no debug toolbar of any kind
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        KABINET_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="testserver",
        # A public-looking host with DEBUG off is production to the settings: it needs the
        # complaints' key (a Fernet key is 32 random bytes in URL-safe base64).
        KABINET_PD_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        CELERY_BROKER_URL="",
    )
    os.environ.pop("REDIS_URL", None)  # one cache for both databases would be worse than locmem
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def use(database: str) -> None:
    """Point the default connection at `database` (closed now, opened by the next query)."""
    from django.core.cache import cache
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = database
    cache.clear()


def prepare(database: str) -> float:
    from django.core.management import call_command

    use(database)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=StringIO())
    return time.perf_counter() - started


def demo_numbers() -> set[str]:
    from kabinet.billing.models import PersonalAccount

    return set(PersonalAccount.objects.filter(region__code="66").values_list("number", flat=True))


def without(source: Path, target: Path, columns: tuple[str, ...], skip: set[str]) -> set[str]:
    """Copy a CSV leaving out the lines whose `columns` name an account in `skip`; the numbers
    (first of `columns`) of the lines left out."""
    left_out = set()
    with open(source, encoding="utf-8", newline="") as rows, open(target, "w", encoding="utf-8", newline="") as out:
        reader = csv.reader(rows)
        writer = csv.writer(out, lineterminator="\n")
        header = next(reader)
        writer.writerow(header)
        positions = [header.index(c) for c in columns if c in header]
        for row in reader:
            if any(row[p] in skip for p in positions):
                left_out.add(row[positions[0]])
            else:
                writer.writerow(row)
    return left_out


def load_branch(workdir: Path, accounts: int) -> None:
    """Generate the branch's files and import them through run_import, printing a line per kind."""
    from kabinet.exchange.models import ImportBatch
    from kabinet.exchange.runner import run_import

    generator = bench_import_module()
    taken = demo_numbers()
    kinds = [("accounts", generator.generate, ("number", "replaced_by"))]
    kinds.append(("accruals", generator.generate_accruals, ("account",)))
    for kind in ("meters", "payments"):
        if make := getattr(generator, f"generate_{kind}", None):
            kinds.append((kind, make, ("account",)))
    for kind, make, columns in kinds:
        raw, path = workdir / f"{kind}-all.csv", workdir / f"{kind}.csv"
        make(raw, accounts)
        left_out = without(raw, path, columns, taken)
        raw.unlink()
        if kind == "accounts":
            taken |= left_out  # a closed account replaced by a demo one goes too, and its other lines
        started = time.perf_counter()
        with open(path, "rb") as binary:
            batch = run_import(kind, binary, file_name=path.name, source="bench/pages_scale.py")
        seconds = time.perf_counter() - started
        if batch.status != ImportBatch.Status.DONE:
            raise SystemExit(f"{kind}: {batch.status} {batch.message}")
        print(f"  {kind:<9} {seconds:6.1f} s  {batch.message}", flush=True)
        path.unlink()
    for kind in ("meters", "payments"):
        if not getattr(generator, f"generate_{kind}", None):
            print(f"  {kind:<9} not loaded: bench/import.py has no generate_{kind}")


class Visitor:
    """Анна in one database: the account's id, the region, a client signed in by the login form."""

    def __init__(self):
        from django.test import Client
        from django.urls import reverse

        from kabinet.billing.models import PersonalAccount

        account = PersonalAccount.objects.select_related("region").get(region__code="66", number=ACCOUNT)
        self.region_pk = account.region.pk
        self.urls = {
            "home": reverse("portal:home"),
            "charges": reverse("portal:account", args=[account.pk]),
            "readings": reverse("portal:readings", args=[account.pk]),
        }
        self.client = Client()
        self.login(self.client)

    def login(self, client) -> None:
        from django.urls import reverse

        form = {"identifier": ACCOUNT, "password": PASSWORD, "region": self.region_pk}
        response = client.post(reverse("portal:login"), form)
        if response.status_code != 302 or not response["Location"].endswith("/home/"):
            raise SystemExit(f"login by {ACCOUNT} failed: {response.status_code}")

    def request(self, page: str) -> None:
        from django.test import Client

        if page == "login":
            self.login(Client())  # a new visitor: no session yet
            return
        response = self.client.get(self.urls[page])
        if response.status_code != 200:
            raise SystemExit(f"{page}: {response.status_code}")


def measure(visitor: Visitor, samples: dict[str, Samples], requests: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for page in PAGES:
        for _ in range(requests):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                visitor.request(page)
                elapsed = time.perf_counter() - started
            samples[page].seconds.append(elapsed)
            samples[page].queries.add(len(queries))


def explain(visitor: Visitor) -> None:
    """Each SELECT of each page, EXPLAIN ANALYZEd in the branch's database: its time and the
    tables it reads by a sequential scan (on a table of the branch's size, the thing to fix)."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for page in PAGES:
        with CaptureQueriesContext(connection) as queries:
            visitor.request(page)
        print(f"{page}:")
        for query in queries.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT"):
                print(f"  {'':>8}  {sql[:100]}")
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT TEXT) {sql}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            ms = float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1))
            scans = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))
            print(f"  {ms:7.3f} ms  {sql[:100]}" + (f"  [seq scan: {', '.join(scans)}]" if scans else ""))


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * 0.95) - 1]  # nearest rank


def report(demo: dict[str, Samples], branch: dict[str, Samples], accounts: int) -> bool:
    ok = True
    print(
        f"{'page':<9} {'queries demo / branch':>22} {'median ms demo / branch':>24} {'p95 ms demo / branch':>21}"
        f" {'ratio':>6}  verdict"
    )
    for page in PAGES:
        a, b = demo[page], branch[page]
        qa, qb = "/".join(map(str, sorted(a.queries))), "/".join(map(str, sorted(b.queries)))
        ma, mb = statistics.median(a.seconds), statistics.median(b.seconds)
        ratio = mb / ma
        same = a.queries == b.queries and len(a.queries) == 1
        verdict = ("queries same" if same else "QUERIES DIFFER") + (
            f", within {LIMIT - 1:.0%}" if ratio <= LIMIT else f", SLOWER than {LIMIT - 1:.0%}"
        )
        ok &= same and ratio <= LIMIT
        print(
            f"{page:<9} {qa:>10} / {qb:<11} {ma * 1000:>11.1f} / {mb * 1000:<10.1f} "
            f"{p95(a.seconds) * 1000:>9.1f} / {p95(b.seconds) * 1000:<9.1f} {ratio:>6.2f}  {verdict}"
        )
    print(f"(branch = demo + {accounts:,} accounts; {len(demo['home'].seconds)} requests per page and database)")
    return ok


def run(
    workdir: Path, databases: tuple[str, str], accounts: int, rounds: int, per_round: int, show_plans: bool
) -> bool:
    import logging

    logging.getLogger("kabinet").setLevel(logging.WARNING)
    demo_db, branch_db = databases
    for database in databases:
        print(f"{database}: migrate + load_demo {prepare(database):.1f} s", flush=True)
    use(branch_db)
    started = time.perf_counter()
    load_branch(workdir, accounts)
    print(f"branch of {accounts:,} accounts loaded in {time.perf_counter() - started:.0f} s")

    visitors = {}
    for database in databases:
        use(database)
        visitors[database] = Visitor()
        measure(visitors[database], {p: Samples() for p in PAGES}, 3)  # warm-up: imports, templates, caches
    samples = {database: {p: Samples() for p in PAGES} for database in databases}
    for round_ in range(rounds):
        for database in databases[:: 1 if round_ % 2 else -1]:  # each goes first in every other round
            use(database)
            measure(visitors[database], {p: Samples() for p in PAGES}, 1)  # opens the connection: not kept
            measure(visitors[database], samples[database], per_round)
    if show_plans:
        use(branch_db)
        explain(visitors[branch_db])
    return report(samples[demo_db], samples[branch_db], accounts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000, help="accounts in the branch (default 1 000 000)")
    parser.add_argument("--rounds", type=int, default=10, help="alternations between the databases (default 10)")
    parser.add_argument("--per-round", type=int, default=5, help="requests per page in a round (default 5)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's queries with the branch")
    args = parser.parse_args()

    import psycopg

    databases = (f"kab_pages_bench_demo_{os.getpid()}", f"kab_pages_bench_branch_{os.getpid()}")
    workdir = tempfile.TemporaryDirectory(prefix="kabinet-bench-pages-")
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        for database in databases:
            admin.execute(f'CREATE DATABASE "{database}"')
    try:
        setup_django(str(Path(workdir.name) / "data"), databases[0])
        ok = run(Path(workdir.name), databases, args.accounts, args.rounds, args.per_round, args.explain)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            for database in databases:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        workdir.cleanup()
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
