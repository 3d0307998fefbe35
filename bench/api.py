"""Requests/s and latency of the API (GET accounts, POST readings) beside a bare Django view
through the same server.

Creates a throw-away PostgreSQL database on 127.0.0.1:5432 (user postgres, trust auth),
migrates it and runs `load_demo`: Анна Иванова of the README (account 660100012345) gets her
accounts, meters and two years of history. Her region's readings window is widened to the
whole month so that readings are accepted whatever the date, and a personal access token
scoped to all her accounts and allowed to submit readings is made through
`kabinet.identity.api_tokens.create_personal_token`, as «Профиль» makes it.

Then it starts gunicorn (sync workers, DJANGO_DEBUG off, the cache in Redis as in
docs/production.md) with bench/api_settings.py, which is Kabinet's settings with
bench/api_urls.py as the URLconf: the app's URLs plus `/bench/bare`, a bare view returning a
small JSON. Each target is loaded with wrk (keep-alive, --connections at once, 2 threads)
after a short warm-up:

  bare      GET /bench/bare: the ceiling of the server, the stack and this machine
  accounts  GET /api/v1/accounts with the token (Authorization: Bearer; no session, no
            template), as a poller asks it: the token checked in PostgreSQL, the rate counted
            and the answer kept a moment ago read in one Redis round trip (api.read_cache)
  uncached  the same with `Cache-Control: no-cache`, so that no kept answer is ever served:
            the token, the rate, the balance summaries, JSON, ETag, and keeping the answer —
            what a poll costs after a change
  readings  POST /api/v1/accounts/<id>/readings with the token: the previous reading + 1 for
            every zone of every meter; each submission replaces the one before (201 each time)

The per-token rate limit (KABINET_API_RATE) is raised for the run: one token sending
thousands of requests a second is what the limit is for, not what is measured. Targets: GET
accounts at least 0.3 of the bare view's requests/s, and p99 under 50 ms at 32 connections
(exit status 1 otherwise, and when any response is not 2xx). With every connection waiting,
the mean latency is connections / throughput (Little's law, printed as «queue ms»): a p99
under 50 ms at 32 connections needs well over 640 requests/s.

wrk comes from Debian's package: the script runs `apt-get install -y wrk` when it is missing
and it is root, else says what to install. The machine's load average is printed beside the
figures: other jobs on the machine lower them all alike, and the ratios less.

With --in-process no server is started: each target runs --requests times through Django's
test client in this process (the same middleware and settings, no sockets), and the mean ms per
request and the queries of one are printed; --profile adds cProfile's top functions of the
accounts requests. That is where the time of a request goes, without the machine's load.

    .venv/bin/python bench/api.py [--workers 4] [--connections 32] [--seconds 15]
    .venv/bin/python bench/api.py --in-process [--requests 500] [--profile]
"""

import argparse
import base64
from functools import partial
import json
import os
from pathlib import Path
import secrets
import subprocess
import sys
import tempfile
import time

from serving import find_wrk, free_port, load_average, run_wrk, wait_until_up, wrk_script, wrk_table

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PHONE = "+79120008888"
TARGET_RATIO = 0.3
NO_CACHE = {"Cache-Control": "no-cache"}  # uncached: no kept answer served (api.read_cache)
TARGET_P99_MS = 50.0

# wrk's report as one JSON line: the figures are taken from it, not scraped from the text.


def environment(data_dir: str, database: str, redis_url: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.api_settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "KABINET_DATA_DIR": data_dir,
        "KABINET_ATTACHMENTS_DIR": str(Path(data_dir) / "attachments"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "KABINET_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,testserver",
        # A public-looking host with DEBUG off is production to the settings: it needs the
        # complaints' key (a Fernet key is 32 random bytes in URL-safe base64).
        "KABINET_PD_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "CELERY_BROKER_URL": "",
        "KABINET_API_RATE": str(10**9),
        "REDIS_URL": redis_url,
    }
    return env


def build_customer(accounts: int, months: int):
    """A customer with `accounts` accounts, each with a two-zone meter, `months` of readings,
    accruals and payments, and balances rebuilt as the exchange's import leaves them."""
    from datetime import date, datetime
    from datetime import time as clock
    from decimal import Decimal

    from django.utils import timezone

    from kabinet.billing.balances import rebuild_balances
    from kabinet.billing.models import Accrual, Payment, PersonalAccount, Premises, Region, Service
    from kabinet.billing.money import charge
    from kabinet.billing.periods import add_months, month_start
    from kabinet.identity.models import AccountLink, User
    from kabinet.readings.models import Meter, Reading

    # The readings window is the whole month, so that readings are accepted whatever the date.
    region = Region.objects.create(code="66", name="Свердловский", account_number_pattern=r"\d{12}",
                                   is_default=True, readings_from_day=1, readings_to_day=31)  # fmt: skip
    service = Service.objects.create(code="electricity", name="Электроснабжение", unit="кВт·ч", ordering=1)
    user = User.objects.create_user(PHONE, secrets.token_urlsafe(16), first_name="Анна", last_name="Бенчева")
    this_month = month_start(timezone.localdate())
    for index in range(accounts):
        premises = Premises.objects.create(
            region=region, city="Екатеринбург", street="ул. Малышева", house=str(index + 1), flat="5"
        )
        account = PersonalAccount.objects.create(region=region, number=f"6601{index:08d}", premises=premises)
        AccountLink.objects.create(user=user, account=account)
        meter = Meter.objects.create(account=account, service=service, serial=f"B{index:07d}", zones=2, digits=6,
                                     installed_on=date(2020, 3, 1), verification_due=date(2032, 3, 1))  # fmt: skip
        for back in range(months, 0, -1):
            period = add_months(this_month, -back)
            taken = timezone.make_aware(datetime.combine(period.replace(day=20), clock(19, 0)))
            used = months - back
            Reading.objects.create(meter=meter, period=period, source=Reading.Source.PORTAL, taken_at=taken,
                                   t1=1000 + 150 * used, t2=500 + 70 * used)  # fmt: skip
            for zone, volume, rate in (("Т1", "150", "6.7100"), ("Т2", "70", "3.3800")):
                Accrual.objects.create(account=account, period=period, service=service, zone=zone,
                                       volume=Decimal(volume), tariff=Decimal(rate),
                                       amount=charge(Decimal(volume), Decimal(rate)))  # fmt: skip
            Payment.objects.create(account=account, paid_on=period.replace(day=5), amount=Decimal("1200.00"),
                                   channel="online")  # fmt: skip
        rebuild_balances(account, opening=Decimal("0.00"))
    return user


def prepare(env: dict[str, str], accounts: int, months: int) -> tuple[str, str, str]:
    """Migrate, build the customer, make the token; the token, the first account's id and the
    body of a readings submission that passes the checks."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from kabinet.billing.models import PersonalAccount
    from kabinet.identity import api_tokens

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    user = build_customer(accounts, months)
    own = list(PersonalAccount.objects.filter(link__user=user).order_by("pk").values_list("pk", flat=True))
    # As «Профиль» makes it: all the customer's accounts, allowed to submit readings.
    token = api_tokens.create_personal_token(user, "bench/api.py", own, True, "30").secret
    print(f"migrate + customer   {time.perf_counter() - started:.1f} s", flush=True)

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    meters = client.get(f"/api/v1/accounts/{own[0]}/meters").json()
    if not meters["window"]["is_open"] or not meters["meters"]:
        raise SystemExit(f"window closed or no meters: {meters}")
    entries = []
    for meter in meters["meters"]:
        previous = (meter["previous_reading"] or {"values": {}})["values"]
        zones = ("t1", "t2", "t3")[: meter["zones"]]
        # A little more than the previous reading: passes the checks, and each submission
        # replaces the one before in the same window.
        entries.append({"meter_id": meter["id"], "values": {z: (previous.get(z) or 0) + 1 for z in zones}})
    body = json.dumps({"meters": entries})
    for path in ("/api/v1/accounts", f"/api/v1/accounts/{own[0]}/readings"):
        method = client.post if path.endswith("readings") else client.get
        response = method(path, body, content_type="application/json") if path.endswith("readings") else method(path)
        if response.status_code not in (200, 201):
            raise SystemExit(f"{path}: {response.status_code} {response.content.decode()}")
    return token, str(own[0]), body


def check_bare(port: int, workers: int) -> None:
    """The workers answer (the port is open before they have imported Django): one request
    per worker at once, until all come back."""
    from concurrent.futures import ThreadPoolExecutor
    from urllib.request import urlopen

    def get(_) -> None:
        with urlopen(f"http://127.0.0.1:{port}/bench/bare", timeout=60) as response:  # raises on 4xx/5xx
            response.read()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(get, range(workers * 2)))


def count_query(queries: list[str], execute, sql, params, many, context):
    queries.append(sql)
    return execute(sql, params, many, context)


def in_process(token: str, account_id: str, body: str, requests: int, profile: bool) -> None:
    """Mean ms per request of each target through the test client, and the queries of one."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    path = f"/api/v1/accounts/{account_id}/readings"
    targets = {
        "bare": lambda: client.get("/bench/bare"),
        "accounts": lambda: client.get("/api/v1/accounts"),
        "uncached": lambda: client.get("/api/v1/accounts", headers=NO_CACHE),
        "readings": lambda: client.post(path, body, content_type="application/json"),
    }
    means = {}
    for name, run in targets.items():
        for _ in range(20):  # warm-up: imports, first compilations, connections
            run()
        queries: list[str] = []  # counted by a wrapper: the request's start clears connection.queries

        with connection.execute_wrapper(partial(count_query, queries)):
            status = run().status_code
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(requests):
            run()
        means[name] = (time.perf_counter() - started) / requests * 1000
        cpu = (time.process_time() - cpu) / requests * 1000  # this process only: not the database's
        print(f"{name:<9} {means[name]:>7.2f} ms  ratio {means['bare'] / means[name]:>5.2f}  "
              f"cpu {cpu:>6.2f} ms  {len(queries)} queries  status {status}", flush=True)  # fmt: skip
    if profile:
        for name in ("accounts", "uncached"):
            print(f"--- profile of {name}", flush=True)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(requests):
                targets[name]()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4: two per core)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections at once (default 32)")
    parser.add_argument("--seconds", type=float, default=15, help="length of each measured run (default 15)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured run before each target (default 3)")
    parser.add_argument("--accounts", type=int, default=2, help="the customer's accounts (default 2)")
    parser.add_argument("--months", type=int, default=24, help="months of history per account (default 24)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="REDIS_URL of the run; '' for locmem")
    parser.add_argument("--in-process", action="store_true", help="no server: the test client, ms per request")
    parser.add_argument("--requests", type=int, default=500, help="requests per target with --in-process")
    parser.add_argument("--profile", action="store_true", help="with --in-process: cProfile of GET accounts")
    args = parser.parse_args()

    binary = None if args.in_process else find_wrk()
    import psycopg

    database = f"kab_api_bench_{os.getpid()}"
    workdir = tempfile.TemporaryDirectory(prefix="kabinet-bench-api-")
    folder = Path(workdir.name)
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    server = None
    try:
        env = environment(str(folder / "data"), database, args.redis)
        token, account_id, body = prepare(env, args.accounts, args.months)
        if args.in_process:
            in_process(token, account_id, body, args.requests, args.profile)
            return
        from django.db import connections

        connections.close_all()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kabinet.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--worker-class", "sync", "--log-level", "warning"],
            cwd=ROOT, env={**os.environ, **env},
        )  # fmt: skip
        wait_until_up(port, server)
        check_bare(port, args.workers)
        auth = {"Authorization": f"Bearer {token}"}
        targets = {
            "bare": ("/bench/bare", wrk_script(folder, "bare", "GET")),
            "accounts": ("/api/v1/accounts", wrk_script(folder, "accounts", "GET", auth)),
            "uncached": ("/api/v1/accounts", wrk_script(folder, "uncached", "GET", auth | NO_CACHE)),
            "readings": (
                f"/api/v1/accounts/{account_id}/readings",
                wrk_script(folder, "readings", "POST", {**auth, "Content-Type": "application/json"}, body),
            ),
        }
        results = {}
        loads = [load_average()]
        for name, (path, script) in targets.items():
            url = f"http://127.0.0.1:{port}{path}"
            run_wrk(binary, url, script, args.connections, args.warmup)
            results[name] = run_wrk(binary, url, script, args.connections, args.seconds)
            loads.append(load_average())
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        from django.db import connections

        connections.close_all()
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        workdir.cleanup()

    print(report(results, args, loads))
    if not passed(results):
        raise SystemExit(1)


def report(results: dict[str, dict], args, loads: list[str]) -> str:
    lines = [
        f"machine    {os.cpu_count()} cores; gunicorn {args.workers} sync workers; wrk 2 threads, "
        f"{args.connections} connections, {args.seconds:g} s per target",
        f"load avg   {loads[0]} before; after each target: {' | '.join(loads[1:])}",
    ]
    lines += wrk_table(results, "bare", verdict_of, queue_connections=args.connections)
    lines.append(
        "queue ms   connections / req/s: the mean latency that this throughput implies with every "
        "connection waiting (Little's law)"
    )
    lines.append(
        f"targets    GET accounts ≥ {TARGET_RATIO} of bare; p99 < {TARGET_P99_MS:g} ms at 32 connections "
        "(readings: p99 only; uncached: shown, not judged)"
    )
    return "\n".join(lines)


def verdict_of(name: str, ratio: float, p99: float) -> str:
    if name == "uncached":  # what a poll costs after a change: no target of its own
        return "shown, not judged"
    parts = []
    if name == "accounts":
        parts.append(f"ratio {'≥' if ratio >= TARGET_RATIO else 'BELOW'} {TARGET_RATIO}")
    parts.append(f"p99 {'<' if p99 < TARGET_P99_MS else 'NOT <'} {TARGET_P99_MS:g} ms")
    return ", ".join(parts)


def passed(results: dict[str, dict]) -> bool:
    ok = all(not r["non2xx"] and not r["socket_errors"] for r in results.values())
    ok &= results["accounts"]["rate"] / results["bare"]["rate"] >= TARGET_RATIO
    return ok and all(results[name]["p99_us"] / 1000 < TARGET_P99_MS for name in ("accounts", "readings"))


if __name__ == "__main__":
    main()
