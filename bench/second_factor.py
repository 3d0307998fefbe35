"""What the second factor costs a customer's page: SQL queries and time of GET /home/ for a
signed-in customer (Анна Иванова of the demo) with Kabinet's middleware stack, against the same
stack without django-otp's OTPMiddleware and SecondFactorMiddleware, alternately in one run.

Run on a database with the demo loaded (`make demo` first):

    DJANGO_DEBUG=1 .venv/bin/python bench/second_factor.py --requests 300
"""

import argparse
import os
from pathlib import Path
import statistics
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from kabinet.billing.models import Region  # noqa: E402

WITHOUT = [m for m in settings.MIDDLEWARE if "otp" not in m and "SecondFactor" not in m]


def signed_in() -> Client:
    client = Client()
    region = Region.objects.get(code="66")
    client.post("/login/", {"identifier": "+79120000001", "password": "Demo-2026!", "region": region.pk})
    assert client.get("/home/").status_code == 200, "load the demo first (make demo)"
    return client


def one(client: Client) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        client.get("/home/")
        return time.perf_counter() - start, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    n = parser.parse_args().requests
    settings.ALLOWED_HOSTS = ["*"]
    results = {"with": [], "without": []}
    clients = {"with": signed_in()}
    with override_settings(MIDDLEWARE=WITHOUT):
        clients["without"] = signed_in()
    for _ in range(n):  # alternately, so load on the machine hits both alike
        results["with"].append(one(clients["with"]))
        with override_settings(MIDDLEWARE=WITHOUT):
            results["without"].append(one(clients["without"]))
    medians = {k: statistics.median(t for t, _ in v) * 1000 for k, v in results.items()}
    queries = {k: v[-1][1] for k, v in results.items()}
    print(f"GET /home/, {n} requests each, Django test client (no server)")
    print(f"without second factor  median {medians['without']:.2f} ms, {queries['without']} SQL queries")
    print(f"with second factor     median {medians['with']:.2f} ms, {queries['with']} SQL queries")
    extra = queries["with"] - queries["without"]
    print(f"ratio                  {medians['with'] / medians['without']:.2f} (time), +{extra} query")


if __name__ == "__main__":
    main()
