"""Journal entries left `running` by a process that was killed (docs/exchange.md): the
import's transaction died with it, so nothing was changed; the entry is closed as failed.

PostgreSQL: a `running` entry of a kind whose advisory lock nobody holds (locks.holding).
The check and the update happen under that lock, so an import that starts meanwhile (it
takes the lock before it writes its entry) is never mistaken for a dead one.
SQLite: no session locks, so an age rule: `running` for longer than
KABINET_EXCHANGE_STALE_AFTER seconds.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from kabinet.exchange import locks
from kabinet.exchange.models import ImportBatch

KILLED = "Загрузка прервана (процесс остановлен), ничего не изменено."


def fail_abandoned(kind_names: Iterable[str] | None = None) -> int:
    """Mark the dead `running` entries (of these kinds, or all) failed; how many were."""
    running = ImportBatch.objects.filter(status=ImportBatch.Status.RUNNING)
    if kind_names is not None:
        running = running.filter(kind__in=list(kind_names))
    if connection.vendor != "postgresql":
        age = timedelta(seconds=settings.KABINET_EXCHANGE_STALE_AFTER)
        return _fail(running.filter(started_at__lt=timezone.now() - age))
    failed = 0
    for kind in sorted(set(running.values_list("kind", flat=True))):
        with locks.if_free(kind) as free:
            if free:
                failed += _fail(running.filter(kind=kind))
    return failed


def _fail(batches) -> int:
    return batches.update(status=ImportBatch.Status.FAILED, message=KILLED, finished_at=timezone.now())
