"""What the exchange's commands share. `manage.py import_<kind>`: the file, --dry-run, --force,
a progress display on a terminal, the batch's summary, exit status 2 when the file is rejected.
`manage.py export_<kind>`: --period, --out, a progress display on a terminal, the batch's
summary, exit status 1 on failure."""

from collections.abc import Callable
from datetime import date
from pathlib import Path
import re

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kabinet.exchange import kinds
from kabinet.exchange.models import ExportBatch, ImportBatch
from kabinet.exchange.runner import run_import
from kabinet.exchange.stores import upload_exports


class TerminalProgress:
    """Rows, rows/s and time left on stderr; silent when stderr is not a terminal."""

    def __init__(self, stream, title: str):
        self.stream, self.title, self.bar = stream, title, None

    def start(self, total: int) -> None:
        self.bar = tqdm(
            total=total, desc=self.title, unit=" строк", unit_scale=True, file=self.stream, disable=None, leave=True
        )

    def advance(self, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(rows)  # set-based: not a write (a progress bar's update)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class ImportCommand(BaseCommand):
    """A kind's command: subclass with `kind = "<name>"` (and `help`)."""

    kind: str

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, with a header row")
        parser.add_argument("--dry-run", action="store_true", help="check the whole file, change nothing")
        parser.add_argument("--force", action="store_true", help="load the file even if it was loaded before")
        parser.add_argument("--no-progress", action="store_true", help="no progress display")

    def handle(self, *args, file: Path, dry_run: bool, force: bool, no_progress: bool, **options):
        kind = kinds.get(self.kind)
        progress = None if no_progress else TerminalProgress(self.stderr._out, kind.title)
        try:
            with open(file, "rb") as binary:
                batch = run_import(
                    kind.name,
                    binary,
                    file_name=file.name,
                    source=f"manage.py import_{kind.name}",
                    dry_run=dry_run,
                    force=force,
                    progress=progress,
                )
        except OSError as exc:
            raise CommandError(f"не удалось прочитать {file}: {exc}") from exc
        for row in batch.rejected_rows.all():
            self.stderr.write(f"строка {row.line}: {row.reason}")
        if batch.status == ImportBatch.Status.REJECTED:
            raise CommandError(f"{file}: {batch.message} (загрузка № {batch.pk})", returncode=2)
        if batch.status == ImportBatch.Status.FAILED:
            raise CommandError(f"{file}: {batch.message} (загрузка № {batch.pk})", returncode=1)
        self.stdout.write(f"{batch.message} (загрузка № {batch.pk})")


def month(text: str) -> date:
    """--period: «2026-11» → 2026-11-01."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise CommandError(f"--period «{text}»: нужен месяц в виде ГГГГ-ММ, например 2026-11")
    return date(int(text[:4]), int(text[5:]), 1)


class ExportCommand(BaseCommand):
    """An export's command: subclass with `kind = "<name>"`, `title`, `export = staticmethod(<function>)`
    (and `help`)."""

    kind: str
    title: str  # the progress display's: «Онлайн-платежи»
    export: Callable[..., ExportBatch]

    def add_arguments(self, parser):
        parser.add_argument("--period", type=month, help="YYYY-MM: all of that month's rows again, marking nothing")
        parser.add_argument("--out", type=Path, help="folder for the file (default KABINET_EXCHANGE_OUT_DIR)")
        parser.add_argument("--no-progress", action="store_true", help="no progress display")

    def handle(self, *args, period: date | None, out: Path | None, no_progress: bool, **options):
        progress = None if no_progress else TerminalProgress(self.stderr._out, self.title)
        batch = self.export(period=period, out_dir=out, source=f"manage.py export_{self.kind}", progress=progress)
        if batch.status != ExportBatch.Status.DONE:
            raise CommandError(f"{batch.message} (выгрузка № {batch.pk})", returncode=1)
        self.stdout.write(f"{batch.message} (выгрузка № {batch.pk})")
        if out is None:  # the out folder of the settings: with S3, its files go to the bucket too
            sent = upload_exports()
            if sent is not None:
                self.stdout.write(f"Загружено в S3: {', '.join(sent) or 'нечего'}")
