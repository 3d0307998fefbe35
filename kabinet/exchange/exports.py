"""What every export to billing shares (docs/exchange.md): one file per run, an ExportBatch in
the journal, rows exported exactly once incrementally, any month again on demand. A kind
(`readings_export`, `contacts_export`) says which rows, which columns and how each row is
marked; `run_export` does the rest.

Incremental (no period): every row not exported yet goes into one file, and the rows written
are marked in the SAME transaction that records the batch as done. The file is written to a
temporary name and renamed into place before that transaction commits, so:

- a failure before the rename leaves no file and nothing marked;
- a crash between the rename and the commit leaves a file whose rows are NOT marked: the next
  run sends them again (at least once per file, exactly once per marking) — billing recognises
  a repeat by the row's id;
- the marking itself never lets a row go out incrementally twice after a commit.

By period (YYYY-MM): every row of that month again, marking nothing.

Rows are read in pages by primary key (keyset), so memory does not grow with the count and
no cursor stays open while the markers are written (SQLite has no isolation between the two).
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
import csv
from dataclasses import dataclass
from datetime import date
import hashlib
import io
import logging
import os
from pathlib import Path
import tempfile
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kabinet.exchange import locks
from kabinet.exchange.abandoned import fail_abandoned_exports
from kabinet.exchange.models import ExportBatch

logger = logging.getLogger(__name__)

PAGE = 2_000  # rows read, written and marked at a time


@dataclass(frozen=True)
class ExportKind:
    """One export: its name (journal kind, file name prefix, lock), its columns, and how to
    find, write and mark its rows. `fields` are read with `values_list`; the first is the pk."""

    name: str
    header: tuple[str, ...]
    fields: tuple[str, ...]
    new: Callable[[], QuerySet]  # rows not exported yet
    of_month: Callable[[date], QuerySet]  # a month's rows, exported or not
    row: Callable[[tuple], Sequence]  # values_list(*fields) → the CSV row
    mark: Callable[[ExportBatch, list[int]], None]  # these pks went out in this batch
    what: str  # «показаний»: in «Выгружено новых показаний: N»
    nothing_new: str  # the journal's message when there is nothing to send


@dataclass(frozen=True)
class Page:
    ids: list[int]
    data: bytes


def _before_commit(batch: ExportBatch) -> None:
    """Called after the file is in place, just before the transaction commits (tests inject a
    crash here)."""


def _pages(kind: ExportKind, period: date | None) -> Iterator[Page]:
    """The rows as CSV bytes, PAGE rows at a time in the order of their ids."""
    last = 0
    while True:
        rows = kind.new() if period is None else kind.of_month(period)
        rows = list(rows.filter(pk__gt=last).order_by("pk").values_list(*kind.fields)[:PAGE])
        if not rows:
            return
        yield Page([row[0] for row in rows], _csv(kind.row(row) for row in rows))
        last = rows[-1][0]


def _csv(rows: Iterable[Sequence]) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode()


def blank(value) -> str:
    return "" if value is None else str(value)


def local_iso(moment) -> str:
    """A moment in Kabinet's time zone with its offset, e.g. 2026-11-20T19:00:00+05:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


class Progress(Protocol):
    """What the export tells a progress display (exchange.commands.TerminalProgress)."""

    def start(self, total: int) -> None: ...
    def advance(self, rows: int) -> None: ...
    def close(self) -> None: ...


def run_export(
    kind: ExportKind,
    *,
    period: date | None = None,
    out_dir: Path | None = None,
    source: str,
    user=None,
    progress: Progress | None = None,
) -> ExportBatch:
    """Write one file of `kind` (all new rows, or a month's again); the batch says what
    happened. An incremental run that finds nothing new writes no file."""
    fail_abandoned_exports([kind.name])
    # The kind's lock is held from before the journal entry exists until it is final, so a
    # `running` entry whose lock is free was left by a killed process (exchange.abandoned).
    with locks.holding(f"export:{kind.name}"):
        try:
            return _run(kind, Path(out_dir or settings.KABINET_EXCHANGE_OUT_DIR), period, source, user, progress)
        finally:
            if progress is not None:
                progress.close()


def _run(
    kind: ExportKind, out_dir: Path, period: date | None, source: str, user, progress: Progress | None
) -> ExportBatch:
    batch = ExportBatch.objects.create(
        kind=kind.name,
        period=ExportBatch.INCREMENTAL if period is None else f"{period:%Y-%m}",
        user=user if user is not None and user.is_authenticated else None,
        source=source[:100],
    )
    stamp = timezone.localtime(batch.started_at).strftime("%Y%m%d-%H%M%S")
    name = f"{kind.name}-{batch.period}-{stamp}-{batch.pk}.csv"
    temp: Path | None = None
    placed: Path | None = None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with transaction.atomic():
            digest, rows = hashlib.sha256(), 0
            handle, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            temp = Path(temp_name)
            with os.fdopen(handle, "wb") as file:
                header = _csv([kind.header])
                digest.update(header)  # set-based: not a write (a hash's update)
                file.write(header)
                if progress is not None:
                    progress.start((kind.new() if period is None else kind.of_month(period)).count())
                for page in _pages(kind, period):
                    digest.update(page.data)  # set-based: not a write (a hash's update)
                    file.write(page.data)
                    rows += len(page.ids)
                    if period is None:
                        kind.mark(batch, page.ids)
                    if progress is not None:
                        progress.advance(len(page.ids))
                file.flush()
                os.fsync(file.fileno())
            batch.rows, batch.finished_at, batch.status = rows, timezone.now(), ExportBatch.Status.DONE
            if rows == 0 and period is None:
                temp.unlink()
                temp = None
                batch.message = kind.nothing_new
            else:
                placed = out_dir / name
                os.replace(temp, placed)
                temp = None
                _sync_dir(out_dir)
                batch.file_name, batch.checksum = name, digest.hexdigest()
                what = f"новых {kind.what}" if period is None else f"{kind.what} за {period:%m.%Y}"
                batch.message = f"Выгружено {what}: {rows}; файл {placed}."
            batch.save()
            _before_commit(batch)
    except BaseException as exc:
        logger.exception("export %s of %s failed", batch.pk, kind.name)
        if temp is not None:
            temp.unlink(missing_ok=True)
        # A placed file stays: the error may have come after the server committed (a lost COMMIT
        # reply), its rows then marked and sent only in it. Before the commit its rows stay
        # unmarked and go again in the next file: at least once in files, billing dedups.
        kept = "" if placed is None else f" Файл {placed} оставлен: его строки будут выгружены ещё раз."
        batch.refresh_from_db()  # the transaction rolled back: the journal keeps «running»
        batch.status, batch.finished_at = ExportBatch.Status.FAILED, timezone.now()
        batch.message = (
            "Выгрузка прервана ошибкой на сервере, ничего не отмечено выгруженным; подробности — в "
            f"журнале сервера (выгрузка № {batch.pk}).{kept}"
        )
        batch.save()
        if not isinstance(exc, Exception):
            raise
    return batch


def _sync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
