"""Logins per second through the real login view, beside the cost of one bare argon2 hash.

Starts gunicorn (sync workers) on a throw-away data dir, creates one customer, then lets
concurrent clients sign in again and again for a fixed time: GET /login/ (CSRF cookie and
token), POST the form, expect the redirect to /home/. The baseline, measured in the same run
on the same machine, is one bare `check_password` with the same argon2 parameters.

    .venv/bin/python bench/login.py [--workers 2] [--clients 4] [--seconds 15]

Parameters come from the usual variables (KABINET_ARGON2_MEMORY_KIB, KABINET_ARGON2_TIME_COST,
KABINET_ARGON2_PARALLELISM), so other settings can be compared without editing code.
"""

import argparse
from http.client import HTTPConnection
from http.cookies import SimpleCookie
import os
from pathlib import Path
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

from serving import free_port, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
PHONE = "+79120009999"
PASSWORD = "Bench-login-2026"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def prepare(env: dict) -> tuple[float, str, int]:
    """Migrate the throw-away database, create the customer, time bare hashes in this process."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import check_password, make_password
    from django.core.management import call_command

    from kabinet.billing.models import Region
    from kabinet.identity.models import User

    call_command("migrate", verbosity=0)
    region = Region.objects.create(code="66", name="Свердловский", account_number_pattern=r"\d{12}", is_default=True)
    User.objects.create_user(PHONE, PASSWORD, first_name="Бенч", last_name="Логинов")

    encoded = make_password(PASSWORD)
    samples = []
    for _ in range(30):
        started = time.perf_counter()
        assert check_password(PASSWORD, encoded)
        samples.append(time.perf_counter() - started)
    params = (
        f"argon2id m={settings.ARGON2_MEMORY_KIB} KiB, t={settings.ARGON2_TIME_COST}, p={settings.ARGON2_PARALLELISM}"
    )
    return statistics.median(samples), params, region.pk


class Client:
    """One browser: its own cookies, one keep-alive connection."""

    def __init__(self, port: int):
        self.connection = HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers.get("Location", ""), text

    def login(self, region_pk: int) -> bool:
        self.cookies.clear()  # a new visitor each time: a fresh session and CSRF cookie
        status, _, page = self.request("GET", "/login/")
        token = CSRF_INPUT.search(page).group(1)
        form = {"csrfmiddlewaretoken": token, "identifier": PHONE, "password": PASSWORD, "region": region_pk}
        status, location, _ = self.request("POST", "/login/", urlencode(form))
        return status == 302 and location.endswith("/home/")


def load(port: int, region_pk: int, clients: int, seconds: float) -> tuple[int, int, list[float]]:
    done, failed, latencies = [0], [0], []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run() -> None:
        client = Client(port)
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            ok = client.login(region_pk)
            elapsed = time.perf_counter() - started
            with lock:
                (done if ok else failed)[0] += 1
                latencies.append(elapsed)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0], failed[0], latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--seconds", type=float, default=15, help="length of the run (default 15)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="kabinet-bench-")
    port = free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "kabinet.settings",
        "KABINET_DATA_DIR": data_dir,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "KABINET_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    bare, params, region_pk = prepare(env)

    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kabinet.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(args.workers), "--worker-class", "sync", "--log-level", "warning"],
        cwd=ROOT, env={**os.environ, **env},
    )  # fmt: skip
    try:
        wait_until_up(port, server)
        Client(port).login(region_pk)  # warm up: imports, connections, templates
        done, failed, latencies = load(port, region_pk, args.clients, args.seconds)
    finally:
        server.terminate()
        server.wait()

    rate = done / args.seconds
    ceiling = min(args.workers, os.cpu_count() or 1) / bare
    print(f"password hasher      {params}")
    print(f"machine              {os.cpu_count()} cores; gunicorn {args.workers} sync workers, {args.clients} clients")
    print(f"bare hash            {bare * 1000:.1f} ms per check_password (median of 30), {1 / bare:.1f}/s on one core")
    print(f"logins               {done} in {args.seconds:.0f} s = {rate:.1f} logins/s ({failed} failed)")
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(f"login latency        median {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"hash ceiling         {ceiling:.1f} logins/s (usable cores / bare hash)")
    print(f"ratio                {rate / ceiling:.2f} (logins/s against the hash ceiling)")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
