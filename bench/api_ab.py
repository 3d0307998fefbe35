"""CPU ms of one GET /api/v1/accounts with each cut of docs/api.md «Speed» switched off and on,
in alternating rounds in one process (the machine's load then weighs on every variant alike).

The customer, token and settings are bench/api.py's; requests go through Django's test client.
Variants, each adding one cut to the one before:

  orm        the token check and the account list compiled by the ORM on every request,
             nothing kept (main before issue 14's speed work, but for the one-script rate count)
  token      + the token check compiled once per process (core.compiled)
  list       + the account list compiled once per process
  kept       + the rendered answer kept per token (api.read_cache): what a poller gets
  bare       bench/api.py's bare view (no token, no database), for scale

Printed per variant: this process's CPU ms per request (median of the rounds, and each
round), wall ms, queries. PostgreSQL's and Redis' own CPU is not in the CPU column.

    .venv/bin/python bench/api_ab.py [--requests 200] [--rounds 5]
"""

import argparse
import os
from pathlib import Path
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import ADMIN_DSN, environment, prepare

VARIANTS = ("orm", "token", "list", "kept")
PATHS = {"bare": "/bench/bare"}  # the bare view of bench/api_urls.py, measured alike for scale


def switch(variant: str) -> None:
    """Put the code of `variant` in place (module attributes the request path looks up)."""
    from kabinet.api import read_cache
    from kabinet.api.routers import accounts
    from kabinet.identity import api_tokens

    level = VARIANTS.index(variant)
    builders = (("_compiled_access", api_tokens._access_tokens), ("_compiled_personal", api_tokens._personal_tokens))
    for name, build in builders:
        compiled = getattr(api_tokens, name)
        compiled.__dict__.pop("instances", None)
        if level < 1:
            compiled.instances = lambda *args, build=build: list(build(*args))
    accounts.card_accounts = ORIGINAL["card_accounts"]
    if level < 2:
        accounts.card_accounts = lambda principal: list(accounts.card_query(api_tokens.accounts_of(principal)))
    read_cache.cached, read_cache.keep = ORIGINAL["cached"], ORIGINAL["keep"]
    if level < 3:
        read_cache.cached, read_cache.keep = (lambda request: None), (lambda request, response: None)


ORIGINAL: dict = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests per variant and round (default 200)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="REDIS_URL of the run; '' for locmem")
    args = parser.parse_args()
    import psycopg

    database = f"kab_api_ab_{os.getpid()}"
    workdir = tempfile.TemporaryDirectory(prefix="kabinet-bench-api-ab-")
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        env = environment(str(Path(workdir.name) / "data"), database, args.redis)
        token, _, _ = prepare(env, 2, 24)
        measure(token, args.requests, args.rounds)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        workdir.cleanup()


def measure(token: str, requests: int, rounds: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kabinet.api import read_cache
    from kabinet.api.routers import accounts

    ORIGINAL.update(card_accounts=accounts.card_accounts, cached=read_cache.cached, keep=read_cache.keep)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    print(f"load avg   {' '.join(f'{v:.2f}' for v in os.getloadavg())} before", flush=True)
    names = (*VARIANTS, *PATHS)
    cpu: dict[str, list[float]] = {v: [] for v in names}
    wall: dict[str, list[float]] = {v: [] for v in names}
    queries = {}
    for _ in range(rounds):
        for variant in names:
            path = PATHS.get(variant, "/api/v1/accounts")
            switch(variant if variant in VARIANTS else VARIANTS[-1])
            for _ in range(20):
                assert client.get(path).status_code == 200
            with CaptureQueriesContext(connection) as captured:
                client.get(path)
            queries[variant] = len(captured)
            started, used = time.perf_counter(), time.process_time()
            for _ in range(requests):
                client.get(path)
            wall[variant].append((time.perf_counter() - started) / requests * 1000)
            cpu[variant].append((time.process_time() - used) / requests * 1000)
    print(f"load avg   {' '.join(f'{v:.2f}' for v in os.getloadavg())} after")
    print(f"{'variant':<8} {'cpu ms':>7} {'wall ms':>8} {'queries':>7}  cpu ms per round")
    for variant in names:
        rounds_text = " ".join(f"{v:.2f}" for v in cpu[variant])
        print(f"{variant:<8} {statistics.median(cpu[variant]):>7.2f} {statistics.median(wall[variant]):>8.2f} "
              f"{queries[variant]:>7}  {rounds_text}")  # fmt: skip


if __name__ == "__main__":
    main()
