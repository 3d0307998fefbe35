"""SMS and e-mail for Prometheus. Deliveries are counted where they happen (the web worker in
the embedded mode, a Celery worker otherwise); the message log's figures are read from the
database at scrape time, so every app server reports the same figures however many
processes delivered."""

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
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


# What the scrape counts: the whole log grows without end, these stay small and each is read
# through an index (status; created_at for the last day's).
WAITING_OR_FAILED = (Message.Status.QUEUED, Message.Status.FAILED)
SENT_WINDOW = timedelta(hours=24)


def message_totals() -> Iterator[GaugeMetricFamily]:
    family = GaugeMetricFamily(
        "kabinet_messages",
        "Messages in the log waiting (queued) or given up on (failed), by channel",
        labels=["channel", "status"],
    )
    found = {
        (row["channel"], row["status"]): row["n"]
        for row in Message.objects.filter(status__in=WAITING_OR_FAILED)
        .values("channel", "status")
        .annotate(n=Count("id"))
        .order_by()
    }
    for channel in Message.Channel.values:
        for status in WAITING_OR_FAILED:
            family.add_metric([channel, status], found.get((channel, status), 0))
    sent = GaugeMetricFamily(
        "kabinet_messages_sent_last_day",
        "Messages created in the last 24 hours and sent, by channel",
        labels=["channel"],
    )
    recent = Message.objects.filter(status=Message.Status.SENT, created_at__gte=timezone.now() - SENT_WINDOW)
    counts = {row["channel"]: row["n"] for row in recent.values("channel").annotate(n=Count("id")).order_by()}
    for channel in Message.Channel.values:
        sent.add_metric([channel], counts.get(channel, 0))
    yield from (family, sent)
