"""The one import path for every kind of file (docs/exchange.md):

journal entry (committed on its own) → duplicate check by checksum → stream the CSV, check
the header, parse and validate each row, write valid rows to a TEMP staging table in chunks →
the kind's checks in SQL → the kind's merge — all in ONE transaction, so a file is loaded
whole or not at all, and a failed or killed import leaves the previous data.
"""

from collections.abc import Callable
import logging
from operator import itemgetter
import time
from typing import BinaryIO, Protocol

from django.db import connection, transaction
from django.utils import formats, timezone

from kabinet.billing.balances import lock_month_balances
from kabinet.core.changes import accounts_changed
from kabinet.exchange import kinds, locks
from kabinet.exchange.abandoned import fail_abandoned
from kabinet.exchange.kinds import Kind, RowError
from kabinet.exchange.models import ImportBatch, RejectedRow
from kabinet.exchange.reading import CsvSource, FileRejected, column_positions, raw_lines, record_text, scan
from kabinet.exchange.staging import Stage

logger = logging.getLogger(__name__)

CHUNK = 10_000  # rows validated and written to staging at a time: memory does not grow with the file
KEEP_REJECTED = 1_000  # rejected rows kept in the journal (all are counted)


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, rows: int) -> None: ...
    def close(self) -> None: ...


class _Rejected(Exception):
    """Rows were rejected: roll the transaction back."""


def run_import(
    kind_name: str,
    binary: BinaryIO,
    *,
    file_name: str,
    source: str,
    user=None,
    dry_run: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> ImportBatch:
    """Load one file of one kind; the journal entry says what happened. `binary` must be
    seekable (a file on disk or an upload). `force` loads a file already loaded (its rows then
    count as unchanged unless the data changed since)."""
    kind = kinds.get(kind_name)
    fail_abandoned([kind.name])
    scanned = scan(binary)
    # The kind's lock is held from before the journal entry exists until it is final, so a
    # `running` entry whose lock is free was left by a killed process (exchange.abandoned).
    with locks.holding(kind.name):
        return _run(kind, binary, scanned, file_name, source, user, dry_run, force, progress)


def _run(kind, binary, scanned, file_name, source, user, dry_run, force, progress) -> ImportBatch:
    batch = ImportBatch.objects.create(
        kind=kind.name,
        file_name=file_name[:255],
        checksum=scanned.checksum,
        dry_run=dry_run,
        user=user if user is not None and user.is_authenticated else None,
        source=source[:100],
    )
    if not (dry_run or force):
        latest = _latest_loaded(kind, batch)
        if latest is not None and latest.checksum == scanned.checksum:
            when = formats.date_format(timezone.localtime(latest.finished_at), "d.m.Y в H:i")
            return _finish(
                batch,
                ImportBatch.Status.DUPLICATE,
                f"Этот файл уже загружен {when} (загрузка № {latest.pk}), и других файлов этого вида "
                "после него не загружали; ничего не изменено.",
            )
    if progress is not None:
        progress.start(max(scanned.lines - 1, 0))
    rejected: list[RejectedRow] = []
    try:
        with transaction.atomic():
            _lock(kind)
            merged = _load(kind, binary, batch, rejected, progress, scanned.checksum)
            if kind.changes_accounts:
                # The merge's SQL sends no signal: one notice for the whole file, at its commit
                # (none if it is rolled back, a dry run included).
                accounts_changed()
            if dry_run:
                transaction.set_rollback(True)
            merged_at = time.perf_counter()
        # On PostgreSQL the foreign keys (deferred) are checked here, a row at a time.
        logger.debug("%.2f s: commit", time.perf_counter() - merged_at)
    except _Rejected:
        texts = raw_lines(binary, {row.line for row in rejected if not row.raw})
        for row in rejected:
            row.raw = row.raw or texts.get(row.line, "")
        RejectedRow.objects.bulk_create(rejected)  # set-based: not shown (the rejected rows)
        shown = "" if batch.rows_rejected <= KEEP_REJECTED else f" (в журнале первые {KEEP_REJECTED})"
        return _finish(
            batch,
            ImportBatch.Status.REJECTED,
            f"Файл не загружен, ничего не изменено: отклонено строк {batch.rows_rejected}{shown}. "
            "Исправьте их и загрузите файл целиком снова.",
        )
    except FileRejected as exc:
        if exc.line is not None:
            RejectedRow.objects.create(batch=batch, line=exc.line, reason=exc.reason[:500], raw=exc.raw)
            batch.rows_rejected += 1
        return _finish(batch, ImportBatch.Status.REJECTED, f"Файл не загружен, ничего не изменено: {exc.reason}")
    except BaseException as exc:
        logger.exception("import %s of %s failed", batch.pk, file_name)
        batch.rows_created = batch.rows_updated = batch.rows_unchanged = 0
        # The operator gets the reason in Russian; the exception (logged above) is for whoever
        # reads the server's log, found there by the batch number.
        cause = "ошибкой на сервере" if isinstance(exc, Exception) else "остановкой процесса"
        _finish(
            batch,
            ImportBatch.Status.FAILED,
            f"Загрузка прервана {cause}, ничего не изменено; подробности — в журнале сервера (загрузка № {batch.pk}).",
        )
        if not isinstance(exc, Exception):
            raise
        return batch
    finally:
        if progress is not None:
            progress.close()
    counts = (
        f"прочитано строк {batch.rows_read}, создано {batch.rows_created}, "
        f"обновлено {batch.rows_updated}, без изменений {batch.rows_unchanged}"
    )
    notes = "".join(f"; {note}" for note in merged.notes)
    if dry_run:
        message = f"Проверка: ошибок нет, ничего не изменено; было бы {counts}{notes}."
        return _finish(batch, ImportBatch.Status.DONE, message)
    return _finish(batch, ImportBatch.Status.DONE, f"Загружено: {counts}{notes}.")


def _latest_loaded(kind: Kind, batch: ImportBatch) -> ImportBatch | None:
    """The kind's last file that changed data (done, not a dry run). Only a file equal to it is
    a duplicate: an older file sent again after another one brings its figures back, and its
    merge (idempotent) is what restores them. Last by the time it was finished, just after its
    commit: the order in which the files' data went in."""
    done = ImportBatch.objects.filter(kind=kind.name, status=ImportBatch.Status.DONE, dry_run=False)
    return done.exclude(pk=batch.pk).order_by("-finished_at", "-pk").first()


def _lock(kind: Kind) -> None:
    """The transaction's settings, and one import at a time of the kinds that rebuild month
    balances (SQLite serialises writers by itself).

    Accruals, payments and balances each rebuild `billing_monthbalance` from the other tables:
    two at once would each compute without the other's uncommitted rows, then overwrite with
    stale figures once the other's row locks are gone, or both insert a month new to an account
    (a unique violation). So they take the shared MONTH_BALANCES lock
    (billing.balances.lock_month_balances, which online payments take too) for their whole
    transaction, before anything is read or written.

    One import of a kind at a time is the kind's session lock, which run_import holds from
    before the journal entry until it is final. Lock order, the same in every import, so no
    two imports wait for each other: the kind's session lock → MONTH_BALANCES (here,
    transaction level). Nothing takes a kind's lock while holding MONTH_BALANCES: it goes at the
    commit or rollback, before run_import lets the kind's lock go. (Imports run one after
    another inside an outer transaction — the demo — keep MONTH_BALANCES until it ends; run
    them so only where no other import runs.)"""
    if connection.vendor == "postgresql":
        if kind.name in locks.BALANCE_KINDS:
            lock_month_balances()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")  # set-based: not a write (a SET LOCAL)
            # Joins of the staging table with whole tables on text keys: a merge join sorts both
            # under the database's locale collation (seconds per million rows); hashing does not.
            cursor.execute("SET LOCAL enable_mergejoin = off")  # set-based: not a write (a SET LOCAL)
            # Each statement runs once over the whole file: compiling it (JIT) costs more than it saves.
            cursor.execute("SET LOCAL jit = off")  # set-based: not a write (a SET LOCAL)


def _load(kind, binary, batch, rejected, progress, checksum):
    source = CsvSource(binary)
    positions = column_positions(kind, source.header())
    width = max(p for p in positions if p is not None) + 1
    parse: Callable = kind.row_parser()
    pick = _picker(positions)
    stage = Stage(kind)
    stage.create()
    chunk: list[tuple] = []
    read = 0
    for line, fields, record in source:
        read += 1
        if read % CHUNK == 0:
            batch.rows_read = read
            if progress is not None:
                progress.advance(CHUNK)
        try:
            if len(fields) < width:
                raise RowError(f"полей в строке: {len(fields)}, а по заголовку нужно не меньше {width}")
            values = parse(pick(fields))
        except RowError as exc:
            _reject(batch, rejected, line, str(exc), record_text(record))
            continue
        if batch.rows_rejected:
            continue  # the file will not be loaded: only find the other bad rows
        chunk.append((line, *values))
        if len(chunk) >= CHUNK:
            stage.write(chunk)
            chunk.clear()
    batch.rows_read = read
    if progress is not None:
        progress.advance(read % CHUNK)
    if source.checksum != checksum:
        raise FileRejected("Файл изменился во время загрузки: загрузите его снова, когда он будет записан полностью")
    if batch.rows_rejected:
        raise _Rejected
    if chunk:
        stage.write(chunk)
    stage.finish()
    logger.debug("read, validated and staged %s rows", stage.rows)
    for line, reason in kind.check(stage):
        _reject(batch, rejected, line, reason, "")
    if batch.rows_rejected:
        raise _Rejected
    merged = kind.merge(stage)
    stage.drop()
    batch.rows_created, batch.rows_updated = merged.created, merged.updated
    batch.rows_unchanged = stage.rows - merged.created - merged.updated
    return merged


def _picker(positions: list[int | None]) -> Callable[[list[str]], list[str]]:
    """The kind's values of a record, stripped, "" for an absent optional column (a million
    records a file: one itemgetter and a map when every column is there)."""
    if None in positions:
        return lambda fields: [fields[p].strip() if p is not None else "" for p in positions]
    if len(positions) == 1:
        return lambda fields: [fields[positions[0]].strip()]
    get = itemgetter(*positions)
    return lambda fields: list(map(str.strip, get(fields)))


def _reject(batch: ImportBatch, rejected: list[RejectedRow], line: int, reason: str, raw: str) -> None:
    batch.rows_rejected += 1
    if len(rejected) < KEEP_REJECTED:
        rejected.append(RejectedRow(batch=batch, line=line, reason=reason[:500], raw=raw))


def _finish(batch: ImportBatch, status: str, message: str) -> ImportBatch:
    batch.status = status
    batch.message = message
    batch.finished_at = timezone.now()
    batch.save()
    return batch
