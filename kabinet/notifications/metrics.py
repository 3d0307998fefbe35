"""SMS and e-mail for Prometheus. Deliveries are counted where they happen (the web worker in
the embedded mode, a Celery worker otherwise); the message log's totals by status are read
from the database at scrape time, so every app server reports the same figures however many
processes delivered."""

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily

from kabinet.notifications.models import Message

DELIVERIES = Counter(
    "kabinet_message_deliveries_total",
    "Delivery attempts of SMS and e-mail in this process, by channel and outcome (sent, retry, failed)",
    ["channel", "outcome"],
)


def counted(channel: str, outcome: str) -> None:
    DELIVERIES.labels(channel, outcome).inc()


def message_totals() -> Iterator[GaugeMetricFamily]:
    family = GaugeMetricFamily(
        "kabinet_messages",
        "Messages in the log by channel and status (sent, failed, queued)",
        labels=["channel", "status"],
    )
    found = {
        (row["channel"], row["status"]): row["n"]
        for row in Message.objects.values("channel", "status").annotate(n=Count("id")).order_by()
    }
    for channel in Message.Channel.values:
        for status in Message.Status.values:
            family.add_metric([channel, status], found.get((channel, status), 0))
    yield family
