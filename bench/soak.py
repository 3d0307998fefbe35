"""Soak: customers against the local production cluster while its parts are killed, then an
account of what survived.

    .venv/bin/python bench/soak.py --users 20 --minutes 3 [--keep]

1. `deploy/local-cluster.sh up` (nginx https://127.0.0.1:8443 in front of gunicorn-a and -b,
   PostgreSQL, Redis, RabbitMQ, a Celery worker and beat; idempotent), then
   `bench/soak_data.py setup USERS` with the cluster's environment: one customer a user, each
   with an account in a region of their own (readings accepted every day), a meter with a
   year of readings and two billed months.
2. Locust as a library (`locust.env.Environment`, `HttpUser`, the local runner, gevent): each
   user signs in with the form (CSRF token read from the page) and then, with a pause of 1–3 s,
   opens home, «Начисления и платежи», sends readings, creates an appeal with a PDF, downloads
   a bill, signs out and in again, or asks /healthz (the baseline: the smallest view through
   the same nginx and gunicorn under the same load). Each accepted reading and each created
   appeal (its number from the redirect, the file's SHA-256) is recorded.
3. Meanwhile, on a schedule: gunicorn-a is SIGKILLed at a third of the time and started again
   after --down seconds; at half the time every user creates an appeal (each sends an SMS or
   an e-mail) and the Celery worker is SIGKILLed as soon as a message is logged and not yet
   sent (polled with psql), the messages the kill left unsent are counted, and it is started
   again after --down seconds.
4. Then, against the cluster's database, storage, SMS outbox and mail dir (`soak_data.py
   verify`): every recorded appeal exists with its file (checksum in the row and of the stored
   bytes); every recorded reading is stored; every message logged since the start is marked
   sent and is in the outbox or mail dir exactly once (waiting up to --drain seconds for
   delivery to finish); every failed request lies inside a kill window (from the kill to the
   restart's return plus --grace seconds). It prints p50/p95/p99 per page with the ratio of
   its p50 to /healthz's, the failures with their times, the checks, the load average, and
   exits 1 when a check fails.
5. `deploy/local-cluster.sh down`, unless --keep.

Locust rather than threads with requests: per-page percentiles, failure events and a runner
that starts and stops users come with it, and gevent keeps a hundred users in one process.
Django is never imported here (gevent patches the standard library); the database side runs
as `bench/soak_data.py` in its own process.
"""

import argparse
from dataclasses import dataclass, field
from datetime import UTC, datetime
import hashlib
import itertools
import json
import os
from pathlib import Path
import random
import re
import secrets
import subprocess
import sys
import time

import gevent
from locust import HttpUser, between, task
from locust.env import Environment
import urllib3

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / "deploy" / "local-cluster.sh"
# The cluster script's own override of its port (a second cluster beside a developer's).
BASE_URL = f"https://127.0.0.1:{os.environ.get('KABINET_CLUSTER_HTTPS_PORT', '8443')}"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # the cluster's self-signed cert


@dataclass
class Soak:
    """What the load did, shared by the users (one process, greenlets: no locks needed)."""

    started: float = 0.0
    customers: list = field(default_factory=list)
    taken: itertools.count = field(default_factory=itertools.count)
    config: dict = field(default_factory=dict)
    appeals: list = field(default_factory=list)
    readings: list = field(default_factory=list)
    failures: list = field(default_factory=list)  # (seconds since start, page, error)
    windows: list = field(default_factory=list)  # (name, from, to) in seconds since start
    burst: int = 0  # users create an appeal each when this goes up (just before the worker's kill)
    notes: list = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.started


SOAK = Soak()


def token(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


def pdf_bytes() -> bytes:
    """A small PDF that differs every time, so each stored file is checked for its own bytes."""
    return b"%PDF-1.4\n%" + secrets.token_hex(16).encode() + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Customer(HttpUser):
    host = BASE_URL
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.verify = False
        self.me = SOAK.customers[next(SOAK.taken) % len(SOAK.customers)]
        self.sent = 0
        self.burst = 0
        self.login()

    @task
    def act(self) -> None:
        """One step: an appeal when a burst is called (so the worker has deliveries in hand when
        it is killed), else a page by weight."""
        if self.burst < SOAK.burst:
            self.burst = SOAK.burst
            self.appeal()
        else:
            random.choices(self.steps, weights=self.weights)[0](self)

    def post(self, path: str, name: str, form_html: str, data: dict, **kwargs):
        data = {**data, "csrfmiddlewaretoken": token(form_html)}
        # Django checks the Referer of an HTTPS POST against the host.
        headers = {"Referer": BASE_URL + path}
        return self.client.post(
            path, data=data, headers=headers, name=name, allow_redirects=False, catch_response=True, **kwargs
        )

    def page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.headers.get('Location', '')}")
                if "/login/" in response.headers.get("Location", ""):
                    self.login()
                return ""
            return response.text

    def login(self) -> None:
        form = self.page("/login/", "login form")
        if not form:
            return
        data = {"identifier": self.me["phone"], "password": SOAK.config["password"],
                "region": SOAK.config["region_id"]}  # fmt: skip
        with self.post("/login/", "login", form, data) as response:
            if response.status_code != 302 or not response.headers.get("Location", "").endswith("/home/"):
                response.failure(f"login: {response.status_code}")

    def healthz(self) -> None:
        """The baseline: nginx, gunicorn and Django's smallest view, under the same load."""
        self.page("/healthz", "healthz")

    def home(self) -> None:
        self.page("/home/", "home")

    def charges(self) -> None:
        self.page(f"/accounts/{self.me['account_id']}/", "charges")

    def readings(self) -> None:
        path = f"/accounts/{self.me['account_id']}/readings/"
        form = self.page(path, "readings form")
        if not form:
            return
        self.sent += 1
        value = self.me["previous"] + 100 + self.sent  # a new value each time; replaces the last one
        with self.post(path, "readings", form, {f"m{self.me['meter_id']}-t1": str(value)}) as response:
            if response.status_code == 302 and response.headers.get("Location", "").endswith(path):
                SOAK.readings.append({"meter_id": self.me["meter_id"], "t1": value, "at": SOAK.now()})
            else:
                response.failure(f"readings: {response.status_code}")

    def appeal(self) -> None:
        form = self.page("/appeals/new/", "appeal form")
        if not form:
            return
        content = pdf_bytes()
        data = {
            "account": self.me["account_id"],
            "topic": SOAK.config["topic_id"],
            "reason": SOAK.config["reason_id"],
            "text": "Нагрузочная проверка: прошу проверить начисления.",
            "contact_method": "email" if self.me["email"] else "phone",
        }
        files = {"files": ("справка.pdf", content, "application/pdf")}
        with self.post("/appeals/new/", "appeal", form, data, files=files) as response:
            created = re.search(r"/appeals/([^/]+)/created/$", response.headers.get("Location", ""))
            if response.status_code != 302 or not created:
                response.failure(f"appeal: {response.status_code}")
                return
            SOAK.appeals.append({"number": created.group(1), "phone": self.me["phone"],
                                 "sha256": hashlib.sha256(content).hexdigest(), "at": SOAK.now()})  # fmt: skip
        self.page(response.headers["Location"], "appeal created")

    def bill(self) -> None:
        path = f"/accounts/{self.me['account_id']}/bills/"
        months = re.findall(rf'href="{path}(\d{{4}}-\d{{2}})/"', self.page(path, "bills"))
        if not months:
            return
        with self.client.get(f"{path}{months[0]}/", name="bill pdf", catch_response=True) as response:
            if response.status_code != 200 or not response.content.startswith(b"%PDF"):
                response.failure(f"bill: {response.status_code}")

    def sign_in_again(self) -> None:
        form = self.page("/home/", "home")
        if form:
            with self.post("/logout/", "logout", form, {}) as response:
                if response.status_code != 302:
                    response.failure(f"logout: {response.status_code}")
        self.client.cookies.clear()
        self.login()


Customer.steps = (Customer.healthz, Customer.home, Customer.charges, Customer.readings, Customer.appeal,
                  Customer.bill, Customer.sign_in_again)  # fmt: skip
Customer.weights = (1, 4, 3, 2, 1, 1, 1)


def on_request(request_type, name, response_time, response_length, exception=None, **kwargs) -> None:
    if exception is not None:
        SOAK.failures.append((SOAK.now(), name, str(exception)[:160]))


# --- The cluster ------------------------------------------------------------------------------
def state_dir() -> Path:
    return Path(os.environ.get("KABINET_CLUSTER_DIR", "/tmp/kabinet-cluster"))


def cluster(*args: str) -> None:
    subprocess.run(["bash", str(CLUSTER), *args], check=True, cwd=ROOT)


def cluster_env() -> dict[str, str]:
    """The cluster's production variables alone, as its processes get them (cluster.env:
    KEY=VALUE lines), so nothing of this shell's environment decides what the checks read."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    for line in (state_dir() / "cluster.env").read_text(encoding="utf-8").splitlines():
        line = line.strip().removeprefix("export ").strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip().strip("'\"")
    return env


def data(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak_data.py"), *args],
        env=cluster_env(),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def queued_messages(since: str, until: str = "infinity") -> int:
    """Messages logged in [since, until) and not sent yet, by psql (quick enough to poll)."""
    sql = (
        "SELECT count(*) FROM notifications_message WHERE status = 'queued' "
        f"AND created_at >= '{since}' AND created_at < '{until}'"
    )
    done = subprocess.run(
        ["psql", cluster_env()["DATABASE_URL"], "-tAc", sql], check=True, capture_output=True, text=True
    )
    return int(done.stdout)


def kill(name: str, at: float) -> tuple[float, str]:
    gevent.sleep(max(0.0, at - SOAK.now()))
    killed = SOAK.now()
    cluster("kill", name)  # returns once the process group is gone
    dead_at = datetime.now(UTC).isoformat()
    print(f"[{killed:6.1f}s] SIGKILL {name}", flush=True)
    return killed, dead_at


def restart(name: str, killed: float, down: float) -> None:
    """Start `name` `down` seconds after its kill; requests may fail from the kill until the
    restart returns."""
    gevent.sleep(max(0.0, killed + down - SOAK.now()))
    cluster("start", name)
    SOAK.windows.append((name, killed, SOAK.now()))
    print(f"[{SOAK.now():6.1f}s] {name} started again", flush=True)


def kill_app_server(at: float, down: float) -> None:
    killed, _ = kill("gunicorn-a", at)
    restart("gunicorn-a", killed, down)


def kill_worker_mid_delivery(at: float, down: float) -> None:
    """Every user creates an appeal (an SMS or e-mail each); the worker is SIGKILLed as soon as
    a message is logged and not yet sent (or `at` + 10 s), so some are in its hands or in the
    broker's; how many were left unsent by the kill is noted."""
    gevent.sleep(max(0.0, at - SOAK.now()))
    SOAK.burst += 1
    since = SOAK.config["started_at"]
    while SOAK.now() < at + 10 and not queued_messages(since):
        gevent.sleep(0.02)
    killed, dead_at = kill("celery-worker", SOAK.now())
    SOAK.notes.append(f"messages logged before the worker died and not sent by then: {queued_messages(since, dead_at)}")
    restart("celery-worker", killed, down)


# --- The report ---------------------------------------------------------------------------------
def percentiles(environment: Environment) -> list[str]:
    """Per page: requests, failures, p50/p95/p99, and its p50 over /healthz's (same run, same load)."""
    entries = environment.stats.entries
    baseline = entries[("healthz", "GET")].get_response_time_percentile(0.5) if ("healthz", "GET") in entries else 0
    lines = [f"{'page':<16}{'requests':>9}{'failed':>8}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
             f"{'p50/healthz':>13}"]  # fmt: skip
    for (name, _method), entry in sorted(entries.items()):
        p50, p95, p99 = (entry.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99))
        ratio = f"{p50 / baseline:>13.1f}" if baseline else ""
        lines.append(f"{name:<16}{entry.num_requests:>9}{entry.num_failures:>8}{entry.total_rps:>8.1f}"
                     f"{p50:>9.0f}{p95:>9.0f}{p99:>9.0f}{ratio}")  # fmt: skip
    total = environment.stats.total
    lines.append(f"{'all':<16}{total.num_requests:>9}{total.num_failures:>8}{total.total_rps:>8.1f}"
                 f"{total.get_response_time_percentile(0.5):>9.0f}{total.get_response_time_percentile(0.95):>9.0f}"
                 f"{total.get_response_time_percentile(0.99):>9.0f}")  # fmt: skip
    return lines


def outside_windows(grace: float) -> list[tuple]:
    return [f for f in SOAK.failures if not any(start <= f[0] <= end + grace for _, start, end in SOAK.windows)]


def report(environment: Environment, checks: dict, grace: float, load: tuple) -> bool:
    print("\n" + "\n".join(percentiles(environment)))
    print("\nkill windows: " + ", ".join(f"{n} {a:.1f}–{b:.1f}s" for n, a, b in SOAK.windows))
    print(f"failed requests: {len(SOAK.failures)}")
    for at, name, error in SOAK.failures[:40]:
        print(f"  {at:7.1f}s  {name:<14} {error}")
    stray = outside_windows(grace)
    results = {
        f"failed requests inside the kill windows (+{grace:.0f} s): {len(SOAK.failures) - len(stray)} of "
        f"{len(SOAK.failures)}": stray,
        f"appeals created with their files: {checks['appeals']['count']}": checks["appeals"]["problems"],
        f"readings stored: {checks['readings']['count']}": checks["readings"]["problems"],
        f"messages sent exactly once: {checks['messages']['sms']} SMS, {checks['messages']['email']} e-mail "
        f"(delivery finished {checks['messages']['drain_seconds']:.0f} s after the load)": checks["messages"][
            "problems"
        ],
    }
    print()
    for note in SOAK.notes:
        print(note)
    for what, problems in results.items():
        print(f"{'FAIL' if problems else 'ok  '}  {what}")
        for problem in problems[:20]:
            print(f"        {problem}")
    print(f"load average before / after: {load[0]:.2f} / {load[1]:.2f} (cores: {os.cpu_count()})")
    return not any(results.values())


def main() -> int:
    parser = argparse.ArgumentParser(description="Customers against the local cluster while its parts are killed.")
    parser.add_argument("--users", type=int, default=20, help="simulated customers, one account each")
    parser.add_argument("--minutes", type=float, default=3.0, help="how long the load runs")
    parser.add_argument("--down", type=float, default=15.0, help="seconds a killed part stays down")
    parser.add_argument("--grace", type=float, default=5.0, help="seconds after a restart failures may still come")
    parser.add_argument("--drain", type=float, default=660.0, help="seconds to wait for messages to go out")
    parser.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = parser.parse_args()
    seconds = args.minutes * 60

    cluster("up")
    try:
        SOAK.config = data("setup", str(args.users))
        SOAK.customers = SOAK.config.pop("customers")
        load_before = os.getloadavg()[0]
        environment = Environment(user_classes=[Customer])
        environment.events.request.add_listener(on_request)
        runner = environment.create_local_runner()
        SOAK.config["started_at"] = datetime.now(UTC).isoformat()
        SOAK.started = time.monotonic()
        runner.start(args.users, spawn_rate=max(1, args.users / 5))
        print(f"{args.users} users for {seconds:.0f} s against {BASE_URL}", flush=True)
        kills = [
            gevent.spawn(kill_app_server, seconds / 3, args.down),
            gevent.spawn(kill_worker_mid_delivery, seconds / 2, args.down),
        ]
        gevent.sleep(seconds)
        runner.quit()
        gevent.joinall(kills)
        load_after = os.getloadavg()[0]
        record = {
            "started_at": SOAK.config["started_at"],
            "appeals": SOAK.appeals,
            "readings": SOAK.readings,
            "drain_timeout": args.drain,
        }
        record_path = state_dir() / "soak-record.json"
        record_path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        print(f"load done; checking {len(SOAK.appeals)} appeals, {len(SOAK.readings)} readings, messages…", flush=True)
        checks = data("verify", str(record_path))
        passed = report(environment, checks, args.grace, (load_before, load_after))
    finally:
        if not args.keep:
            cluster("down")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
