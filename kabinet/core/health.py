"""Readiness: can this app server do its work now? Each check is bounded by a short timeout,
so a dead dependency makes /readyz answer 503 quickly instead of hanging the prober (and
a worker). Queue lengths for the metrics are read from the broker here too."""

from collections.abc import Callable
from contextlib import suppress
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

TIMEOUT = 2.0  # seconds per check; a load balancer's probe usually waits 5

logger = logging.getLogger(__name__)
_last_failed: set[str] | None = None  # the checks that failed last time in this process


def check_database() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # set-based: not a write (a SET LOCAL)
            cursor.execute(f"SET LOCAL statement_timeout = {int(TIMEOUT * 1000)}")
        cursor.execute("SELECT 1")  # set-based: not a write (a SELECT)


def check_cache() -> None:
    """A set and a get: Redis (with REDIS_URL) answers writes, not only pings."""
    key = f"kabinet:readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache lost a value just written")
    cache.delete(key)  # set-based: not a write (the health check's cache key)


def _broker_connection():
    from kabinet.celery import app

    return app.connection_for_write(
        url=settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT, transport_options={"socket_timeout": TIMEOUT}
    )


def check_broker() -> None:
    with _broker_connection() as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT)


CHECKS: dict[str, Callable[[], None]] = {"database": check_database, "cache": check_cache, "broker": check_broker}


def readiness() -> dict[str, str]:
    """Each dependency → "ok" or what went wrong (no secrets: the exception's type and text;
    URLs with passwords are never part of kombu's or psycopg's messages). No broker
    configured (eager tasks) is "ok": there is none to wait for."""
    results = {}
    for name, check in CHECKS.items():
        if name == "broker" and not settings.CELERY_BROKER_URL:
            results[name] = "ok"
            continue
        try:
            check()
        except Exception as exc:  # any failure makes the server not ready; say which
            results[name] = f"{type(exc).__name__}: {exc}"[:300]
        else:
            results[name] = "ok"
    return results


def report_readiness(results: dict[str, str]) -> bool:
    """Whether all checks passed; logs once per change of which checks fail (per process), not
    per probe: a prober asking every few seconds through an outage adds no line after the
    first (error texts vary, so they do not count as a change)."""
    global _last_failed
    failed = {name for name, value in results.items() if value != "ok"}
    if failed != _last_failed:
        if failed:
            logger.warning("not ready: %s", "; ".join(f"{name}: {results[name]}" for name in sorted(failed)))
        elif _last_failed:
            logger.info("ready again")
        _last_failed = failed
    return not failed


def queue_lengths(names: list[str] | None = None) -> dict[str, int]:
    """Messages waiting in each queue (by default those the workers consume). A queue no
    worker declared yet is empty. Passive declare works on RabbitMQ and on kombu's Redis
    transport alike."""
    from kabinet.celery import app

    names = names or list(app.amqp.queues) or [app.conf.task_default_queue]
    lengths = {}
    with _broker_connection() as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT)
        for name in names:
            channel = conn.channel()
            try:
                lengths[name] = channel.queue_declare(queue=name, passive=True).message_count
            except conn.channel_errors:
                lengths[name] = 0  # not declared yet (RabbitMQ closes the channel: a new one next)
            finally:
                with suppress(Exception):  # closed by the server already
                    channel.close()
    return lengths
