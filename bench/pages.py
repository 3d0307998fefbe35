"""Requests/s, p50 and p99 of the customer's pages through gunicorn, beside a bare Django
hello-world served by the same gunicorn in the same run, with a whole branch loaded (issue 15).

Creates a throw-away PostgreSQL database on 127.0.0.1:5432 (user postgres, trust auth),
migrates it, runs `load_demo`, then loads a branch of N accounts (default 1 000 000) through
the real import path, as bench/pages_scale.py does (its `load_branch`: the files bench/import.py
generates, minus the demo's own accounts). The demo customer Анна Иванова (README: account
660100012345, password Demo-2026!) is the one visiting.

Then it starts gunicorn (sync workers, default 2 on this 2-core machine, DJANGO_DEBUG off, the
cache and cached sessions in Redis as in docs/production.md) with bench/api_settings.py:
Kabinet's settings with bench/api_urls.py as the URLconf, which adds `/bench/bare`, a bare
view returning a small JSON through the same middleware. It logs Анна in once through the
server (GET /login/ for the CSRF cookie, POST the form) and hands her cookies to wrk
(`-H Cookie`). Each target is loaded with wrk (keep-alive, --connections at once, 2 threads)
after a short warm-up, hello right before each page, and each page's ratio is to the hello
measured before it (this machine's speed drifts within minutes; docs/performance.md):

  hello     GET /bench/bare: the ceiling of the server, the stack and this machine
  login     GET /login/ as a new visitor (no cookie): the form, a CSRF cookie
  home      GET /home/ (her account cards)
  charges   GET /accounts/<id>/ «Начисления и платежи» (two years, charts)
  appeals   GET /appeals/ «Мои обращения»
  readings  GET /accounts/<id>/readings/ «Передать показания», by default with the region's
            window open (the form, as customers see the page on the days they send readings,
            its busiest); `--readings-window closed` shows the meters' facts only, as on the
            other days of a month, and `demo` keeps the demo's 15th–25th (then it depends on
            the day of the run)
  history   GET /accounts/<id>/readings/history/ «История показаний» (two years of her meter)

`--pages all` adds every other page a customer opens by GET (the issue's target is every
customer page; the five above are the ones it measured): the public ones (landing, register,
recover, consent), the tour, «Профиль» and its pages (phone, password, factor: the second
step's setup, tokens, add_account), a new appeal and a complaint, her latest appeal, the bills,
«Оплатить» and the autopayment. `--only` picks any of them.

Before the load, each page's CPU in this process (`--cpu-requests`, default 300): the same
requests through Kabinet's WSGI handler with her cookies, no server and no wrk, the medians of
`time.process_time` over three rounds — the measure that the machine's other jobs distort
least, and what each step of docs/performance.md reports. `--cpu-only` stops there.

Targets (issue 15): every page at least 0.2 of hello's requests/s, the charges page at least
0.1, and p99 under 100 ms at 32 connections; the exit status is 1 when a page measured misses
one or any response is not 200. The machine's load average is printed beside the figures: other jobs on
the machine lower every figure, the ratios less. The in-process check that the pages cost
the same with and without the branch is bench/pages_scale.py.

    .venv/bin/python bench/pages.py [--accounts 1000000] [--workers 2] [--connections 32] [--seconds 15]
    .venv/bin/python bench/pages.py --accounts 20000 --seconds 10      # a quick check
    .venv/bin/python bench/pages.py --repeat 2      # the branch loaded once, every target measured twice
    .venv/bin/python bench/pages.py --accounts 20000 --cpu-only   # CPU per page in-process, about 1 min
"""

import argparse
import base64
from io import BytesIO, StringIO
import os
from pathlib import Path
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode

from login import CSRF_INPUT, Client
from pages_scale import ACCOUNT, PASSWORD, load_branch
from serving import find_wrk, free_port, load_average, run_wrk, wait_until_up, wrk_script, wrk_table

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
ISSUE_PAGES = ("login", "home", "charges", "appeals", "readings", "history")
TARGET_RATIO = {"charges": 0.1}  # the others: DEFAULT_RATIO
DEFAULT_RATIO = 0.2
TARGET_P99_MS = 100.0


def environment(data_dir: str, database: str, redis_url: str) -> dict[str, str]:
    return {
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
        "REDIS_URL": redis_url,
        "KABINET_CACHE_PREFIX": f"bench-pages-{os.getpid()}",
    }


WINDOWS = ("open", "closed", "demo")


def window_days(window: str, today: int) -> tuple[int, int] | None:
    """The region's first and last day of readings for `--readings-window` (None: as it is)."""
    if window == "open":
        return 1, 31
    if window == "closed":
        return (2, 2) if today == 1 else (1, 1)
    return None


def prepare(env: dict[str, str], folder: Path, accounts: int, window: str = "open") -> int:
    """Migrate, load the demo and the branch, set the readings window; Анна's account id."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    logging.getLogger("kabinet").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection
    from django.utils.timezone import localdate

    from kabinet.billing.models import PersonalAccount

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, stdout=StringIO())
    print(f"migrate + load_demo  {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    load_branch(folder, accounts)
    print(f"branch of {accounts:,} accounts loaded in {time.perf_counter() - started:.0f} s", flush=True)
    # Settled before it is measured: left to autovacuum, a freshly loaded million accounts are
    # vacuumed and analyzed in the middle of the runs, taking the CPU the pages are measured by.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"VACUUM (ANALYZE)     {time.perf_counter() - started:.0f} s", flush=True)
    account = PersonalAccount.objects.select_related("region").get(region__code="66", number=ACCOUNT)
    if days := window_days(window, localdate().day):
        region = account.region
        region.readings_from_day, region.readings_to_day = days
        region.save(update_fields=["readings_from_day", "readings_to_day"])
    print(
        f"readings window      {window}: {account.region.readings_from_day}–{account.region.readings_to_day}",
        flush=True,
    )
    return account.pk


def sign_in(port: int) -> str:
    """Анна's Cookie header after the login form, through the server."""
    from kabinet.billing.models import PersonalAccount

    region_pk = PersonalAccount.objects.get(region__code="66", number=ACCOUNT).region_id
    client = Client(port)
    _, _, page = client.request("GET", "/login/")
    form = {"csrfmiddlewaretoken": CSRF_INPUT.search(page).group(1), "identifier": ACCOUNT, "password": PASSWORD,
            "region": region_pk}  # fmt: skip
    status, location, _ = client.request("POST", "/login/", urlencode(form))
    if status != 302 or not location.endswith("/home/"):
        raise SystemExit(f"login by {ACCOUNT} failed: {status} {location}")
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def other_pages(account_id: int) -> dict[str, str]:
    """Every other page a customer opens by GET: the public ones, the profile's, the forms."""
    from kabinet.appeals.models import Appeal

    # The latest appeal of the account's holder, Анна (an appeal about it by anyone else is 404 to her).
    theirs = Appeal.objects.filter(customer__account_links__account_id=account_id).order_by("-pk")
    appeal = theirs.values_list("number", flat=True).first()
    if appeal is None:
        raise SystemExit("the demo customer has no appeal: is the demo loaded (load_demo)?")
    return {
        "landing": "/", "register": "/register/", "recover": "/recover/", "consent": "/consent/",
        "tour": "/tour/", "profile": "/profile/",
        "phone": "/profile/phone/", "password": "/profile/password/", "factor": "/profile/second-factor/",
        "tokens": "/profile/tokens/", "add_account": "/profile/accounts/add/", "appeal_new": "/appeals/new/",
        "complaint_new": "/appeals/complaint/new/", "appeal": f"/appeals/{appeal}/",
        "bills": f"/accounts/{account_id}/bills/", "pay": f"/accounts/{account_id}/pay/",
        "autopayment": f"/accounts/{account_id}/autopayment/",
    }  # fmt: skip


PUBLIC = ("hello", "login", "landing", "register", "recover", "consent")


def check_pages(port: int, paths: dict[str, str], cookie: str) -> None:
    """Every target answers 200 (a redirect to the login would be measured as a fast page)."""
    for name, path in paths.items():
        client = Client(port)
        if name not in PUBLIC:
            client.cookies.update(dict(part.split("=", 1) for part in cookie.split("; ")))
        status, location, _ = client.request("GET", path)
        if status != 200:
            raise SystemExit(f"{name} {path}: {status} {location}")


def cpu_per_page(paths: dict[str, str], cookie: str, requests: int, rounds: int = 3) -> dict[str, float]:
    """Each page's CPU ms a request through Kabinet's WSGI handler in this process (the median
    of `rounds` rounds of `requests`, after a warm-up), with Анна's cookies but for hello and
    login, as wrk sends them."""
    from kabinet.wsgi import application

    def call(name: str, path: str) -> None:
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http", "wsgi.input": BytesIO(), "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        }  # fmt: skip
        if name not in PUBLIC:
            environ["HTTP_COOKIE"] = cookie
        status = []
        body = application(environ, lambda line, headers, *_: status.append(line))
        b"".join(body)
        body.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"{name} {path}: {status[0]} in-process")

    cpu = {}
    for name, path in paths.items():
        for _ in range(30):
            call(name, path)
        samples = []
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(requests):
                call(name, path)
            samples.append((time.process_time() - started) * 1000 / requests)
        cpu[name] = statistics.median(samples)
    return cpu


def cpu_report(cpu: dict[str, float], requests: int) -> str:
    lines = [f"CPU in-process, ms a request (median of 3 rounds of {requests}; load avg {load_average()})"]
    lines += [f"  {name:<9} {ms:6.2f}" for name, ms in cpu.items()]
    return "\n".join(lines)


def target_of(name: str) -> float:
    return TARGET_RATIO.get(name, DEFAULT_RATIO)


def report(results: dict[str, dict], hellos: dict[str, dict], args, loads: list[str]) -> str:
    """The table, each page's ratio against the hello measured right before it (the first of them
    is the table's hello row; all of them on the next line)."""
    lines = [
        f"machine    {os.cpu_count()} cores; gunicorn {args.workers} sync workers; wrk 2 threads, "
        f"{args.connections} connections, {args.seconds:g} s per target; branch of {args.accounts:,} accounts",
        f"load avg   {loads[0]} before; after each run: {' | '.join(loads[1:])}",
    ]
    rates = {name: hello["rate"] for name, hello in hellos.items()}
    lines += wrk_table(results, "hello", verdict_of, status_label="non-200", ratio_digits=3, baseline_rates=rates)
    before = ", ".join(_hello_figure(name, hello) for name, hello in hellos.items())
    lines.append(f"hello      right before each page, req/s: {before}")
    lines.append(
        f"targets    every page ≥ {DEFAULT_RATIO} of hello (charges ≥ {TARGET_RATIO['charges']}); "
        f"p99 < {TARGET_P99_MS:g} ms at 32 connections"
    )
    return "\n".join(lines)


def _hello_figure(page: str, hello: dict) -> str:
    failed = " FAILED RESPONSES" if hello["non2xx"] or hello["socket_errors"] else ""
    return f"{page} {hello['rate']:.0f}{failed}"


def verdict_of(name: str, ratio: float, p99: float) -> str:
    target = target_of(name)
    return (
        f"ratio {'≥' if ratio >= target else 'BELOW'} {target}, p99 {'<' if p99 < TARGET_P99_MS else 'NOT <'} "
        f"{TARGET_P99_MS:g} ms"
    )


def passed(results: dict[str, dict], hellos: dict[str, dict]) -> bool:
    ok = all(not r["non2xx"] and not r["socket_errors"] for r in [*results.values(), *hellos.values()])
    for name in hellos:
        ratio = results[name]["rate"] / hellos[name]["rate"]
        ok &= ratio >= target_of(name) and results[name]["p99_us"] / 1000 < TARGET_P99_MS
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000, help="accounts in the branch (default 1 000 000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections at once (default 32)")
    parser.add_argument("--seconds", type=float, default=15, help="length of each measured run (default 15)")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured run before each target (default 3)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="REDIS_URL of the run; '' for locmem")
    parser.add_argument("--only", default="", help="comma-separated pages to load (each after a hello)")
    parser.add_argument("--repeat", type=int, default=1, help="measure every target this many times (one load)")
    parser.add_argument("--cpu-requests", type=int, default=300, help="requests a CPU round (0: skip)")
    parser.add_argument("--cpu-only", action="store_true", help="the in-process CPU only, no load")
    parser.add_argument("--pages", choices=("issue", "all"), default="issue",
                        help="the issue's five and «История показаний», or every customer page")  # fmt: skip
    parser.add_argument("--readings-window", choices=WINDOWS, default="open",
                        help="«Передать показания»: window open (the form), closed, or the demo's 15–25")  # fmt: skip
    args = parser.parse_args()

    binary = find_wrk()
    import psycopg

    database = f"kab_pages_bench_{os.getpid()}"
    workdir = tempfile.TemporaryDirectory(prefix="kabinet-bench-pages-")
    folder = Path(workdir.name)
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    server = None
    try:
        env = environment(str(folder / "data"), database, args.redis)
        account_id = prepare(env, folder, args.accounts, args.readings_window)
        from django.db import connections

        connections.close_all()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kabinet.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--worker-class", "sync", "--log-level", "warning"],
            cwd=ROOT, env={**os.environ, **env},
        )  # fmt: skip
        wait_until_up(port, server)
        cookie = sign_in(port)
        connections.close_all()
        paths = {
            "hello": "/bench/bare",
            "login": "/login/",
            "home": "/home/",
            "charges": f"/accounts/{account_id}/",
            "appeals": "/appeals/",
            "readings": f"/accounts/{account_id}/readings/",
            "history": f"/accounts/{account_id}/readings/history/",
            **other_pages(account_id),
        }
        chosen = args.only.split(",") if args.only else ISSUE_PAGES if args.pages == "issue" else paths
        if unknown := set(chosen) - set(paths):
            raise SystemExit(f"no such page: {', '.join(sorted(unknown))}")
        paths = {k: v for k, v in paths.items() if k == "hello" or k in chosen}
        check_pages(port, paths, cookie)
        if args.cpu_requests:
            print(cpu_report(cpu_per_page(paths, cookie, args.cpu_requests), args.cpu_requests), flush=True)
            connections.close_all()

        def measure(name: str, loads: list[str]) -> dict:
            headers = {} if name in PUBLIC else {"Cookie": cookie}
            script = wrk_script(folder, name, headers=headers)
            url = f"http://127.0.0.1:{port}{paths[name]}"
            run_wrk(binary, url, script, args.connections, args.warmup)
            figures = run_wrk(binary, url, script, args.connections, args.seconds)
            loads.append(load_average())
            return figures

        runs = []
        for _ in range(0 if args.cpu_only else args.repeat):
            # hello right before each page: the machine's speed drifts within a run (docs/performance.md).
            results, hellos, loads = {}, {}, [load_average()]
            for name in paths:
                if name != "hello":
                    hellos[name] = measure("hello", loads)
                    results.setdefault("hello", hellos[name])
                    results[name] = measure(name, loads)
            print(report(results, hellos, args, loads), flush=True)
            runs.append((results, hellos))
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        from django.db import connections

        connections.close_all()
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        workdir.cleanup()

    if not args.cpu_only and not all(passed(results, hellos) for results, hellos in runs):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
