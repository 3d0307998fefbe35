"""Imports from billing for Prometheus, read from the journal (ImportBatch) at scrape time:
an import runs in a worker, a command or the admin, and every app server reports it."""

from collections.abc import Iterator

from django.db.models import Count, Max, Sum
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from kabinet.exchange.models import ImportBatch

ROWS = ("read", "created", "updated", "unchanged", "rejected")


def import_metrics() -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
    # A gauge: a run is counted under its current status, so "running" goes down again.
    runs = GaugeMetricFamily("kabinet_imports", "Import runs by kind and current status", labels=["kind", "status"])
    rows = CounterMetricFamily(
        "kabinet_import_rows", "Rows of finished imports by kind and outcome", labels=["kind", "outcome"]
    )
    last = GaugeMetricFamily(
        "kabinet_import_last_success_timestamp_seconds",
        "When the last successful import of a kind finished",
        labels=["kind"],
    )
    sums = {f"rows_{name}": Sum(f"rows_{name}") for name in ROWS}
    totals: dict[tuple[str, str], int] = {}
    for row in (
        ImportBatch.objects.filter(dry_run=False).values("kind", "status").annotate(n=Count("id"), **sums).order_by()
    ):
        runs.add_metric([row["kind"], row["status"]], row["n"])
        if row["status"] != ImportBatch.Status.RUNNING:  # a running import's counts still move
            for name in ROWS:
                totals[row["kind"], name] = totals.get((row["kind"], name), 0) + (row[f"rows_{name}"] or 0)
    for (kind, name), value in sorted(totals.items()):
        rows.add_metric([kind, name], value)
    done = ImportBatch.objects.filter(dry_run=False, status=ImportBatch.Status.DONE, finished_at__isnull=False)
    for row in done.values("kind").annotate(at=Max("finished_at")).order_by():
        last.add_metric([row["kind"]], row["at"].timestamp())
    yield from (runs, rows, last)
