"""The pickup of the drop folder (and of S3): each finished file waiting in `in/` is
imported through the same runner as the commands and moved to done/, rejected/ or failed/
by its journal entry, so nothing is lost and nothing is loaded twice (docs/exchange.md).

Order: kinds in the order of kinds.BUILTIN (accounts before meters before readings…), and
by file name within a kind (name files with a sortable date: accruals_2026-05.csv).
One pickup at a time (locks.pickup_lock); a file is claimed by an atomic move into
processing/ before it is read. A file found in processing/ at the start of a pickup was left
by a pickup that was killed: if its import had finished (the same bytes have a final entry)
it goes where that entry says; otherwise its entry is closed as failed and it goes to failed/.
"""

from collections.abc import Callable
from dataclasses import dataclass
import logging

from django.conf import settings
from django.utils import timezone

from kabinet.exchange import kinds, locks
from kabinet.exchange.abandoned import KILLED, fail_abandoned
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.reading import scan
from kabinet.exchange.runner import Progress, run_import
from kabinet.exchange.stores import FolderStore, S3Store, configured_stores

logger = logging.getLogger(__name__)

OUTCOME = {
    ImportBatch.Status.DONE: "done",
    ImportBatch.Status.DUPLICATE: "done",
    ImportBatch.Status.REJECTED: "rejected",
    ImportBatch.Status.FAILED: "failed",
}
KILLED_BEFORE = "Файл остался в processing/ после остановки процесса; загрузка не начиналась, ничего не изменено."

ProgressFor = Callable[[str, str], Progress | None]  # (kind, file name) → a progress display


@dataclass(frozen=True)
class Picked:
    name: str
    batch: ImportBatch
    moved_to: str


def kind_of(name: str) -> str | None:
    """The kind a file name starts with, followed by `_`, `-` or `.`: accounts_2026-05.csv."""
    lowered = name.lower()
    for kind in kinds.BUILTIN:
        if lowered.startswith(kind) and lowered[len(kind) : len(kind) + 1] in {"_", "-", "."}:
            return kind
    return None


def pickup_order(name: str) -> tuple[int, str]:
    kind = kind_of(name)
    return (kinds.BUILTIN.index(kind) if kind else len(kinds.BUILTIN), name)


def pickup(*, via: str, progress_for: ProgressFor | None = None) -> list[Picked] | None:
    """Import every waiting file of every configured store; None when another pickup runs."""
    stores = configured_stores()
    with locks.pickup_lock(settings.KABINET_EXCHANGE_IN_DIR) as mine:
        if not mine:
            return None
        fail_abandoned()
        picked: list[Picked] = []
        for store in stores:
            store.prepare()
            picked += _recover(store, via)
            for name in sorted(store.waiting(), key=pickup_order):
                if store.claim(name):
                    picked.append(_import(store, name, via, progress_for))
        return picked


def _import(store: FolderStore | S3Store, name: str, via: str, progress_for: ProgressFor | None) -> Picked:
    kind = kind_of(name)
    source = f"{store.title}, {via}"
    refusal = store.refusal(name)
    if refusal is not None:
        batch = _entry(name, kind or "", source, ImportBatch.Status.REJECTED, refusal)
    elif kind is None:
        known = ", ".join(kinds.BUILTIN)
        message = (
            f"Файл не загружен: вид файла не определён по имени «{name}». Имя должно начинаться "
            f"с вида и знака «_», например accounts_2026-05.csv; виды: {known}."
        )
        batch = _entry(name, "", source, ImportBatch.Status.REJECTED, message)
    else:
        try:
            with store.opened(name) as binary:
                progress = progress_for(kind, name) if progress_for else None
                batch = run_import(kind, binary, file_name=name, source=source, progress=progress)
        except Exception:  # reading or downloading the file failed before the journal entry
            logger.exception("pickup of %s failed", name)
            message = (
                "Загрузка прервана ошибкой на сервере до её начала, ничего не изменено; "
                f"подробности — в журнале сервера (файл {name})."
            )
            batch = _entry(name, kind, source, ImportBatch.Status.FAILED, message)
    moved_to = store.settle(name, OUTCOME[batch.status])
    logger.info("picked %s: %s → %s", name, batch.status, moved_to)
    return Picked(name, batch, moved_to)


def _recover(store: FolderStore | S3Store, via: str) -> list[Picked]:
    """Files left in processing/ by a killed pickup: moved by their journal entry when their
    import had finished (killed before the move), otherwise to failed/ with the entry closed."""
    recovered = []
    for name in store.claimed():
        last = ImportBatch.objects.filter(file_name=name[:255], source__startswith=store.title).first()
        if last is not None and last.status == ImportBatch.Status.RUNNING:
            continue  # its kind's lock is still held: closed by a later pickup
        if last is not None and _is_entry_of(store, name, last):
            outcome = OUTCOME[last.status]  # finished: loaded or rejected as its entry says
        else:
            outcome = "failed"  # killed before its entry was written
            last = _entry(name, kind_of(name) or "", f"{store.title}, {via}", ImportBatch.Status.FAILED, KILLED_BEFORE)
        recovered.append(Picked(name, last, store.settle(name, outcome)))
    return recovered


def _is_entry_of(store: FolderStore | S3Store, name: str, batch: ImportBatch) -> bool:
    """The final entry was written for these very bytes (not an earlier file of that name)."""
    if batch.message == KILLED:
        return True  # closed by fail_abandoned: its file goes to failed/
    if not batch.checksum or store.refusal(name) is not None:
        return False
    with store.opened(name) as binary:
        return scan(binary).checksum == batch.checksum


def _entry(name: str, kind: str, source: str, status: str, message: str) -> ImportBatch:
    return ImportBatch.objects.create(
        kind=kind,
        file_name=name[:255],
        checksum="",
        status=status,
        message=message,
        source=source[:100],
        finished_at=timezone.now(),
    )
