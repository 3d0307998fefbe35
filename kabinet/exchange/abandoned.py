"""Journal entries left `running` by a process that was killed (docs/exchange.md): the
import's (or export's) transaction died with it, so nothing was changed (nothing marked
exported); the entry is closed as failed.

PostgreSQL: a `running` entry of a kind whose advisory lock nobody holds (locks.holding).
The check and the update happen under that lock, so an import that starts meanwhile (it
takes the lock before it writes its entry) is never mistaken for a dead one. Exports hold
`export:<kind>` the same way.
SQLite: no session locks, so an age rule: `running` for longer than
KABINET_EXCHANGE_STALE_AFTER seconds.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from kabinet.exchange import locks
from kabinet.exchange.models import ExportBatch, ImportBatch

KILLED = "Загрузка прервана (процесс остановлен), ничего не изменено."
KILLED_EXPORT = "Выгрузка прервана (процесс остановлен), ничего не отмечено выгруженным."


def fail_abandoned(kind_names: Iterable[str] | None = None) -> int:
    """Mark the dead `running` import entries (of these kinds, or all) failed; how many were."""
    return _sweep(ImportBatch, "", KILLED, kind_names)


def fail_abandoned_exports(kind_names: Iterable[str] | None = None) -> int:
    """The same for export entries (their lock is `export:<kind>`)."""
    return _sweep(ExportBatch, "export:", KILLED_EXPORT, kind_names)


def _sweep(model: type[ImportBatch] | type[ExportBatch], prefix: str, message: str, kind_names) -> int:
    running = model.objects.filter(status=model.Status.RUNNING)
    if kind_names is not None:
        running = running.filter(kind__in=list(kind_names))
    if connection.vendor != "postgresql":
        age = timedelta(seconds=settings.KABINET_EXCHANGE_STALE_AFTER)
        return _fail(running.filter(started_at__lt=timezone.now() - age), message)
    failed = 0
    for kind in sorted(set(running.values_list("kind", flat=True))):
        with locks.if_free(prefix + kind) as free:
            if free:
                failed += _fail(running.filter(kind=kind), message)
    return failed


def _fail(batches, message: str) -> int:
    # set-based: not shown (the import journal)
    return batches.update(status=batches.model.Status.FAILED, message=message, finished_at=timezone.now())
