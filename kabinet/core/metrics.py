"""Prometheus metrics (docs/production.md «Здоровье, метрики, журналы»).

Two kinds. Counted in the process, as things happen: requests and their latency per view.
Under gunicorn each worker is a process of its own, so with PROMETHEUS_MULTIPROC_DIR set
prometheus_client keeps them in files there and a scrape sums every worker's
(gunicorn_hooks.child_exit tidies after a dead worker). Read at scrape time from what every
process shares: queue lengths from the broker, messages and imports from the database; apps
register those with `on_scrape`, and their answers are kept a few seconds so a scrape every
few seconds by several Prometheus servers costs the database one query each.
"""

from collections.abc import Callable, Iterable
import threading
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

REQUESTS = Counter(
    "kabinet_http_requests_total", "HTTP requests by view, method and status class", ["view", "method", "status"]
)
LATENCY = Histogram(
    "kabinet_http_request_duration_seconds",
    "Time from the first middleware to the response, by view and method",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}  # set-based: not a write (HTTP methods' names)
UNRESOLVED = "<unresolved>"  # 404s and requests answered before URL resolution
SCRAPE_CACHE_SECONDS = 5.0


def view_label(request: HttpRequest) -> str:
    """The URL pattern's name (`portal:home`) or route, never the path: one series per view
    however many accounts, appeals and tokens the paths carry."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNRESOLVED
    if match.url_name:
        return match.view_name  # with its namespaces
    # Unnamed patterns (some of the API's) would all share the view function's dotted path.
    return match.route or UNRESOLVED


class MetricsMiddleware:
    """Outermost but for the request id: it times everything the other middleware do."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        status = "5xx"  # an exception escaping here becomes Django's 500
        try:
            response = self.get_response(request)
            status = f"{response.status_code // 100}xx"
            return response
        finally:
            method = request.method if request.method in METHODS else "other"
            view = view_label(request)
            REQUESTS.labels(view, method, status).inc()
            LATENCY.labels(view, method).observe(time.perf_counter() - start)


# --- Read at scrape time --------------------------------------------------------------------
class _Cached:
    """A collector whose metrics are computed at most every SCRAPE_CACHE_SECONDS."""

    def __init__(self, compute: Callable[[], Iterable[Metric]]):
        self.compute = compute
        self.lock = threading.Lock()
        self.at = float("-inf")
        self.metrics: list[Metric] = []

    def collect(self) -> Iterable[Metric]:
        with self.lock:
            if time.monotonic() - self.at >= SCRAPE_CACHE_SECONDS:
                self.metrics = list(self.compute())
                self.at = time.monotonic()
            return list(self.metrics)

    def describe(self) -> list[Metric]:
        return []  # computed only when scraped, never at registration


SCRAPED = CollectorRegistry(auto_describe=False)


def on_scrape(compute: Callable[[], Iterable[Metric]]) -> None:
    """Register `compute` (yields prometheus_client metric families) for every scrape."""
    SCRAPED.register(_Cached(compute))


def clear_scrape_cache() -> None:
    """Tests: the next scrape computes afresh."""
    for collector in list(SCRAPED._collector_to_names):
        collector.at = float("-inf")


def exposition() -> bytes:
    """The text every scrape gets: this process's (or, in multiprocess mode, every worker's)
    counters, then what is read at scrape time."""
    if settings.KABINET_PROMETHEUS_MULTIPROC_DIR:
        counted = CollectorRegistry()
        MultiProcessCollector(counted, path=str(settings.KABINET_PROMETHEUS_MULTIPROC_DIR))
    else:
        counted = REGISTRY
    return generate_latest(counted) + generate_latest(SCRAPED)
