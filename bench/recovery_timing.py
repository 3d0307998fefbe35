"""Does «Забыли пароль?» by e-mail answer a customer's address as fast as an unknown one?

Sends interleaved POST /recover/ requests — a known, confirmed address, then an unknown one,
again and again — through Django's test client on a throw-away SQLite database, and prints the
median time of each path and their ratio (1.00: nothing to tell them apart). Issue 11 measured
7.4 ms against 4.7 ms (×1.57) before the e-mail was handed to a background step.

    .venv/bin/python bench/recovery_timing.py [--pairs 300] [--broker]

Without --broker the background step runs as in the embedded mode: eagerly, after the
request's commit, in the same thread (Celery's always-eager). With --broker, an in-memory
Celery broker takes the task, as Redis or RabbitMQ do in production, so only the request
itself is timed. Rate limits are raised for the run; the e-mail backend is the locmem one.
"""

import argparse
import os
from pathlib import Path
import secrets
import statistics
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
KNOWN, UNKNOWN = "known@bench.example", "unknown@bench.example"


def setup(data_dir: str, broker: bool) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "kabinet.settings",
            "KABINET_DATA_DIR": data_dir,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "KABINET_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "KABINET_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
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


def timed(client, address: str) -> float:
    start = time.perf_counter()
    response = client.post("/recover/", {"contact": address})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--broker", action="store_true", help="an in-memory Celery broker instead of eager tasks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        setup(data_dir, args.broker)
        from django.core import mail
        from django.test import Client

        client = Client(enforce_csrf_checks=False)
        for _ in range(20):  # warm up both paths
            timed(client, KNOWN), timed(client, UNKNOWN)
        known, unknown, slower = [], [], 0
        for _ in range(args.pairs):
            k, u = timed(client, KNOWN), timed(client, UNKNOWN)
            known.append(k)
            unknown.append(u)
            slower += k > u
        mode = "in-memory broker (production-like)" if args.broker else "eager tasks (embedded mode)"
        print(f"{mode}, {args.pairs} interleaved pairs; e-mails sent: {len(getattr(mail, 'outbox', []))}")
        print(f"  known address    median {statistics.median(known):.2f} ms")
        print(f"  unknown address  median {statistics.median(unknown):.2f} ms")
        print(f"  ratio known/unknown {statistics.median(known) / statistics.median(unknown):.2f}")
        print(f"  pairs where the known address was slower: {slower} of {args.pairs}")


if __name__ == "__main__":
    main()
