"""What every `manage.py import_<kind>` command shares: the file, --dry-run, --force, a
progress display on a terminal, the batch's summary, exit status 2 when the file is rejected."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kabinet.exchange import kinds
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import


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
            self.bar.update(rows)

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
