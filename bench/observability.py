"""What the request id and the request metrics add to each request, in this process.

Times N calls of a view that returns an empty response: bare, then wrapped in
core.request_id.RequestIdMiddleware + core.metrics.MetricsMiddleware, in prometheus_client's
single-process mode and (in a child process, the mode is chosen at import) in multiprocess mode
as under gunicorn with PROMETHEUS_MULTIPROC_DIR. The baseline, in the same run: a whole request
through Django's stack (Client, every middleware, URL resolution, the 404 template) on a
throw-away SQLite database.

    .venv/bin/python bench/observability.py --requests 20000
"""

import argparse
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
os.environ.setdefault("KABINET_SECURE_SSL_REDIRECT", "0")


def per_request(call, n: int) -> float:
    """Microseconds per call, the best of three runs (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            call()
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best


def middleware_costs(n: int) -> dict[str, float]:
    import django

    django.setup()
    from django.http import HttpResponse
    from django.test import Client, RequestFactory
    from django.urls import resolve

    from kabinet.core.metrics import MetricsMiddleware
    from kabinet.core.request_id import RequestIdMiddleware

    request = RequestFactory().get("/home/")
    request.resolver_match = resolve("/home/")

    def view(request):
        return HttpResponse()

    wrapped = RequestIdMiddleware(MetricsMiddleware(view))
    client = Client()
    return {
        "bare": per_request(lambda: view(request), n),
        "wrapped": per_request(lambda: wrapped(request), n),
        "django_404": per_request(lambda: client.get("/no-such-page/", HTTP_HOST="127.0.0.1"), max(n // 20, 200)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(middleware_costs(args.requests)))
        return
    with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as metrics_dir:
        env = {**os.environ, "KABINET_DATA_DIR": data}
        env.pop("DATABASE_URL", None)  # a throw-away SQLite database: the 404 page reads the regions
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, check=True)
        runs = {}
        for mode, extra in [("single", {}), ("multiprocess", {"PROMETHEUS_MULTIPROC_DIR": metrics_dir})]:
            command = [sys.executable, __file__, "--child", "--requests", str(args.requests)]
            done = subprocess.run(command, env={**env, **extra}, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(done.stderr)
            output = done.stdout
            runs[mode] = json.loads(output.strip().splitlines()[-1])
    for mode, figures in runs.items():
        added, whole = figures["wrapped"] - figures["bare"], figures["django_404"]
        print(
            f"{mode:>12}: request id + metrics add {added:6.1f} µs per request; "
            f"a whole Django 404 request takes {whole:7.1f} µs (ratio {added / whole:.3f})"
        )


if __name__ == "__main__":
    main()
