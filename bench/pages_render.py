"""How much of each customer page is template rendering: CPU time per request, the outermost
template render, and the render less the SQL it runs (a queryset the template evaluates, a
context processor's query), in this one process with Django's test Client (the whole stack).

Runs against the database of DATABASE_URL, which must hold the demo (`manage.py migrate` and
`manage.py load_demo`), with production-like settings: DJANGO_DEBUG=0, so the cached template
loader, and REDIS_URL for the cache and sessions as in production. Signs in as Анна Иванова of
the README (account 660100012345) and reads, after a warm-up, each page N times:

  login     GET /login/ as a new visitor
  home      GET /home/
  charges   GET /accounts/<id>/ «Начисления и платежи» (the history from the cache after the first)
  appeals   GET /appeals/ «Мои обращения»
  readings  GET /accounts/<id>/readings/ «Передать показания»

Medians of `time.process_time` (CPU, which the load of a shared machine distorts less than the
wall clock). The baseline is the page itself: «templates» over «CPU» is rendering's share.

    DJANGO_SETTINGS_MODULE=bench.api_settings DJANGO_DEBUG=0 DATABASE_URL=postgres://… \\
        REDIS_URL=redis://127.0.0.1:6379/N .venv/bin/python bench/pages_render.py [--requests 100]
"""

import argparse
from contextlib import contextmanager
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.api_settings")

import django

django.setup()

from django.db.models.sql.compiler import SQLCompiler  # noqa: E402
from django.template.backends.django import Template  # noqa: E402
from django.test import Client  # noqa: E402

from kabinet.billing.models import PersonalAccount  # noqa: E402

ACCOUNT = "660100012345"
PASSWORD = "Demo-2026!"


class Clock:
    """CPU seconds in the outermost template render, and in the SQL run inside it."""

    def __init__(self) -> None:
        self.depth = 0
        self.render = self.sql = 0.0

    def reset(self) -> None:
        self.render = self.sql = 0.0

    def timed_render(self, render):
        def timed(*args, **kwargs):
            self.depth += 1
            start = time.process_time()
            try:
                return render(*args, **kwargs)
            finally:
                self.depth -= 1
                if self.depth == 0:
                    self.render += time.process_time() - start

        return timed

    def timed_sql(self, execute):
        def timed(*args, **kwargs):
            if self.depth == 0:
                return execute(*args, **kwargs)
            start = time.process_time()
            try:
                return execute(*args, **kwargs)
            finally:
                self.sql += time.process_time() - start

        return timed


@contextmanager
def clocked(clock: Clock):
    render, execute = Template.render, SQLCompiler.execute_sql
    Template.render, SQLCompiler.execute_sql = clock.timed_render(render), clock.timed_sql(execute)
    try:
        yield
    finally:
        Template.render, SQLCompiler.execute_sql = render, execute


def pages() -> dict[str, tuple[str, Client]]:
    account = PersonalAccount.objects.get(number=ACCOUNT, region__code="66")
    customer = Client(HTTP_HOST="127.0.0.1")
    answer = customer.post("/login/", {"identifier": ACCOUNT, "password": PASSWORD, "region": account.region_id})
    assert answer.status_code == 302, answer.status_code
    return {
        "login": ("/login/", Client(HTTP_HOST="127.0.0.1")),
        "home": ("/home/", customer),
        "charges": (f"/accounts/{account.pk}/", customer),
        "appeals": ("/appeals/", customer),
        "readings": (f"/accounts/{account.pk}/readings/", customer),
    }


def measure(url: str, client: Client, clock: Clock, requests: int) -> tuple[float, float, float]:
    for _ in range(5):
        assert client.get(url).status_code == 200, url
    cpu, render, templates = [], [], []
    for _ in range(requests):
        clock.reset()
        start = time.process_time()
        client.get(url)
        cpu.append(time.process_time() - start)
        render.append(clock.render)
        templates.append(clock.render - clock.sql)
    return tuple(statistics.median(values) * 1000 for values in (cpu, render, templates))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    requests = parser.parse_args().requests
    clock = Clock()
    print(f"{'page':9} {'CPU ms':>7} {'render':>7} {'templates':>9} {'share':>6}")
    with clocked(clock):
        for name, (url, client) in pages().items():
            cpu, render, templates = measure(url, client, clock, requests)
            print(f"{name:9} {cpu:7.2f} {render:7.2f} {templates:9.2f} {templates / cpu:6.0%}")


if __name__ == "__main__":
    main()
