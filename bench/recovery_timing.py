"""Does «Забыли пароль?» by e-mail answer a customer's address as fast as an unknown one?

Starts the portal as `make run` does (`manage.py runserver`: Django's threaded development
server, kabinet.wsgi, the file e-mail backend) on a loopback port with a throw-away SQLite
database, and sends POST /recover/ for a known, confirmed address and for an unknown one in
turns (which goes first alternates), each request on a connection of its own, as a script
probing addresses would. Two comparisons, each as the median time from sending a request to
having its whole answer, the ratio of the medians (1.00: nothing to tell them apart) and in
how many pairs the known side was slower:

- the answer: each address after the server has been idle for --settle ms;
- the request right after: a third, unknown address sent the moment the answer to the known
  (or unknown) one arrived, which shows work the first request left behind in the process.

Issue 11 measured 7.4 ms against 4.7 ms (×1.57) for the answer when the request looked the
user up and mailed the link itself.

    .venv/bin/python bench/recovery_timing.py [--pairs 300] [--broker] [--settle 50]

Without --broker the background step runs as in the embedded mode: Celery's always-eager, in
the server's thread, once the answer has been sent (kabinet.core.after_response). With
--broker, an in-memory Celery broker takes the task, as Redis or RabbitMQ do in production
(no worker runs here, so nothing is recorded or sent). With two CPUs or more the server runs
on all but one and this client on that one, as a client on another machine would. Rate limits
are raised for the run.
"""

import argparse
from collections.abc import Callable
import http.client
import os
from pathlib import Path
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
KNOWN, UNKNOWN = "known@bench.example", "unknown@bench.example"
NEXT = "next@bench.example"  # the request sent right after each answer
CSRF = secrets.token_hex(16)  # a CSRF secret of our own, sent as the cookie and the form field


def setup(data_dir: str, broker: bool) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "kabinet.settings",
            "KABINET_DATA_DIR": data_dir,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "KABINET_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "KABINET_CONTACT_USES_PER_ADDRESS": "1000000",
            "KABINET_CONTACT_USES_PER_IP": "1000000",
        }
    )
    if broker:
        os.environ["CELERY_BROKER_URL"] = "memory://"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from kabinet.identity.models import User

    call_command("migrate", verbosity=0)
    User.objects.create_user("+79120009998", "Bench-recovery-2026", email=KNOWN)


def split_cpus() -> Callable[[], None] | None:
    """This process on one CPU and the server (the returned set-up for its process) on the
    others, as a client on another machine would be: on a shared CPU, the server's work after
    an answer delays the client reading it. Nothing on a single CPU."""
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if len(cpus) < 2:
        return None
    mine = min(cpus)
    os.sched_setaffinity(0, {mine})
    return lambda: os.sched_setaffinity(0, cpus - {mine})


def serve(on_cpus: Callable[[], None] | None) -> tuple[subprocess.Popen, int]:
    """`manage.py runserver` as `make run` starts it (threaded, kabinet.wsgi), in a process of
    its own: in this one, its work after an answer would hold the GIL the timing client needs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=on_cpus
    )
    deadline = time.monotonic() + 30
    while server.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("runserver did not start within 30 s")


class Probe:
    def __init__(self, port: int):
        self.port = port

    def timed(self, address: str) -> float:
        """Milliseconds from sending the request to having the whole answer."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port)
        body = urlencode({"contact": address, "csrfmiddlewaretoken": CSRF})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={CSRF}"}
        start = time.perf_counter()
        connection.request("POST", "/recover/", body, headers)
        response = connection.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - start
        assert response.status == 200 and "Проверьте почту".encode() in answer, response.status
        connection.close()
        return elapsed * 1000

    def pair(self, address: str, settle: float) -> tuple[float, float]:
        """The answer to `address` after an idle server, and to the request right after it."""
        time.sleep(settle / 1000)
        return self.timed(address), self.timed(NEXT)


def measure(probe: Probe, pairs: int, settle: float) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    for _ in range(20):  # warm up every path
        probe.pair(KNOWN, 0), probe.pair(UNKNOWN, 0)
    runs = []
    for turn in range(pairs):  # which address goes first alternates
        if turn % 2:
            unknown = probe.pair(UNKNOWN, settle)
            known = probe.pair(KNOWN, settle)
        else:
            known = probe.pair(KNOWN, settle)
            unknown = probe.pair(UNKNOWN, settle)
        runs.append((known, unknown))
    return runs


def report(title: str, known: list[float], unknown: list[float]) -> None:
    slower = sum(k > u for k, u in zip(known, unknown, strict=True))
    print(f"  {title}")
    print(f"    known address    median {statistics.median(known):.2f} ms")
    print(f"    unknown address  median {statistics.median(unknown):.2f} ms")
    print(f"    ratio known/unknown {statistics.median(known) / statistics.median(unknown):.2f}")
    print(f"    pairs where the known side was slower: {slower} of {len(known)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--broker", action="store_true", help="an in-memory Celery broker instead of eager tasks")
    parser.add_argument("--settle", type=float, default=50, help="idle milliseconds before each pair (50)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        setup(data_dir, args.broker)
        from kabinet.notifications.models import Message

        server, port = serve(split_cpus())
        try:
            runs = measure(Probe(port), args.pairs, args.settle)
            time.sleep(0.5)  # the last known address's work, after its answer
        finally:
            server.terminate()
            server.wait()
        mode = "in-memory broker (production-like)" if args.broker else "eager tasks (embedded mode)"
        mails = Message.objects.filter(to=KNOWN)
        print(f"{mode}, {args.pairs} pairs, {args.settle:g} ms idle before each")
        print(f"  e-mails recorded {mails.count()}, delivered {mails.filter(status=Message.Status.SENT).count()}")
        report("the answer", [k[0] for k, _ in runs], [u[0] for _, u in runs])
        report("the request right after", [k[1] for k, _ in runs], [u[1] for _, u in runs])


if __name__ == "__main__":
    main()
