"""Celery queue lengths for Prometheus, read from the broker at scrape time."""

from collections.abc import Iterator
import logging

from django.conf import settings
from prometheus_client.core import GaugeMetricFamily

from kabinet.core import health

log = logging.getLogger(__name__)


def queue_metrics() -> Iterator[GaugeMetricFamily]:
    if not settings.CELERY_BROKER_URL:
        return  # eager tasks: no queue
    family = GaugeMetricFamily("kabinet_celery_queue_length", "Tasks waiting in a Celery queue", labels=["queue"])
    up = GaugeMetricFamily("kabinet_celery_broker_up", "1 if the broker answered this scrape")
    try:
        lengths = health.queue_lengths()
    except Exception as exc:  # the scrape still reports everything else, and that the broker is down
        log.warning("queue lengths unavailable: %s", type(exc).__name__)
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    for name, length in sorted(lengths.items()):
        family.add_metric([name], length)
    yield from (family, up)
