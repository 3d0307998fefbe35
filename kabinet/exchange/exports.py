"""Exports to billing (docs/exchange.md, formats/readings-export.md): readings customers
submitted in Kabinet.

Incremental (no period): every Kabinet reading not exported yet goes into one file, and the
rows written are marked (`ExportedReading`) in the SAME transaction that records the batch as
done. The file is written to a temporary name and renamed into place before that transaction
commits, so:

- a failure before the rename leaves no file and nothing marked;
- a crash between the rename and the commit leaves a file whose readings are NOT marked:
  the next run sends them again (at least once per file, exactly once per marking) — billing
  recognises a repeat by `reading_id`;
- the marking itself never lets a reading go out incrementally twice after a commit.

By period (YYYY-MM): every Kabinet reading of that month again, marking nothing.

Rows are read in pages by primary key (keyset), so memory does not grow with the count and
no cursor stays open while the markers are written (SQLite has no isolation between the two).
"""

from collections.abc import Iterator
import csv
from dataclasses import dataclass
from datetime import date
import hashlib
import io
import logging
import os
from pathlib import Path
import tempfile
import zlib

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kabinet.exchange.models import ExportBatch, ExportedReading
from kabinet.readings.models import Reading

logger = logging.getLogger(__name__)

KIND = "readings"
PAGE = 2_000  # readings read, written and marked at a time
HEADER = (
    "region",
    "account",
    "service",
    "meter",
    "month",
    "t1",
    "t2",
    "t3",
    "submitted_at",
    "reading_id",
    "replaces",
)
FIELDS = (
    "pk",
    "meter__account__region__code",
    "meter__account__number",
    "meter__service__code",
    "meter__serial",
    "period",
    "t1",
    "t2",
    "t3",
    "taken_at",
    "replaces__pk",
)


@dataclass(frozen=True)
class Page:
    ids: list[int]
    data: bytes


def _before_commit(batch: ExportBatch) -> None:
    """Called after the file is in place, just before the transaction commits (tests inject a
    crash here)."""


def _readings(period: date | None):
    readings = Reading.objects.filter(source=Reading.Source.PORTAL)
    if period is None:
        return readings.filter(export__isnull=True)
    return readings.filter(period=period)


def _pages(period: date | None) -> Iterator[Page]:
    """The rows as CSV bytes, PAGE readings at a time in the order of their ids."""
    last = 0
    while True:
        rows = list(_readings(period).filter(pk__gt=last).order_by("pk").values_list(*FIELDS)[:PAGE])
        if not rows:
            return
        text = io.StringIO()
        writer = csv.writer(text)
        for pk, region, account, service, serial, month, t1, t2, t3, taken_at, replaces in rows:
            submitted = timezone.localtime(taken_at).isoformat(timespec="seconds")
            zones = [t1, _blank(t2), _blank(t3)]
            writer.writerow(
                [region, account, service, serial, f"{month:%Y-%m}", *zones, submitted, pk, _blank(replaces)]
            )
        yield Page([row[0] for row in rows], text.getvalue().encode())
        last = rows[-1][0]


def _blank(value) -> str:
    return "" if value is None else str(value)


def _header() -> bytes:
    text = io.StringIO()
    csv.writer(text).writerow(HEADER)
    return text.getvalue().encode()


def export_readings(*, period: date | None = None, out_dir: Path | None = None, source: str, user=None) -> ExportBatch:
    """Write one file of readings (all new ones, or a month's again); the batch says what
    happened. An incremental run that finds nothing new writes no file."""
    out_dir = Path(out_dir or settings.KABINET_EXCHANGE_OUT_DIR)
    batch = ExportBatch.objects.create(
        kind=KIND,
        period=ExportBatch.INCREMENTAL if period is None else f"{period:%Y-%m}",
        user=user if user is not None and user.is_authenticated else None,
        source=source[:100],
    )
    stamp = timezone.localtime(batch.started_at).strftime("%Y%m%d-%H%M%S")
    name = f"readings-{batch.period}-{stamp}-{batch.pk}.csv"
    temp: Path | None = None
    placed: Path | None = None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with transaction.atomic():
            _lock()
            digest, rows = hashlib.sha256(), 0
            handle, temp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            temp = Path(temp_name)
            with os.fdopen(handle, "wb") as file:
                header = _header()
                digest.update(header)
                file.write(header)
                for page in _pages(period):
                    digest.update(page.data)
                    file.write(page.data)
                    rows += len(page.ids)
                    if period is None:
                        ExportedReading.objects.bulk_create(
                            ExportedReading(reading_id=pk, batch=batch) for pk in page.ids
                        )
                file.flush()
                os.fsync(file.fileno())
            batch.rows, batch.finished_at, batch.status = rows, timezone.now(), ExportBatch.Status.DONE
            if rows == 0 and period is None:
                temp.unlink()
                temp = None
                batch.message = "Новых показаний нет, файл не создан."
            else:
                placed = out_dir / name
                os.replace(temp, placed)
                temp = None
                _sync_dir(out_dir)
                batch.file_name, batch.checksum = name, digest.hexdigest()
                what = "новых показаний" if period is None else f"показаний за {period:%m.%Y}"
                batch.message = f"Выгружено {what}: {rows}; файл {placed}."
            batch.save()
            _before_commit(batch)
    except BaseException as exc:
        logger.exception("export %s of readings failed", batch.pk)
        for path in (temp, placed):
            if path is not None:
                path.unlink(missing_ok=True)
        batch.refresh_from_db()  # the transaction rolled back: the journal keeps «running»
        batch.status, batch.finished_at = ExportBatch.Status.FAILED, timezone.now()
        batch.message = f"Выгрузка прервана, ничего не отмечено выгруженным, файл удалён: {exc!r}"[:2000]
        batch.save()
        if not isinstance(exc, Exception):
            raise
    return batch


def _lock() -> None:
    """One export of readings at a time (SQLite serialises writers by itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"exchange:export:{KIND}".encode())])


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
