"""What every CSV import command shares: the file argument, --dry-run, UTF-8 with or without
a BOM, a checked header, bad rows reported by line on stderr and exit status 2."""

import csv
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError


class RowError(ValueError):
    """What is wrong with one row (or with the header), in words for the person running it."""


def reader_with_columns(stream: TextIO, columns: list[str]) -> csv.DictReader:
    reader = csv.DictReader(stream)
    missing = [name for name in columns if name not in (reader.fieldnames or [])]
    if missing:
        raise RowError(f"в заголовке нет столбцов: {', '.join(missing)}")
    return reader


class CsvImportCommand(BaseCommand):
    """Subclasses set `help`, implement `load(stream, dry_run)` returning a report with an
    `errors` list, and `summary(report)`."""

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, with a header row")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, change nothing")

    def load(self, stream: TextIO, dry_run: bool) -> Any:
        raise NotImplementedError

    def summary(self, report: Any) -> str:
        raise NotImplementedError

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            with open(file, encoding="utf-8-sig", newline="") as stream:
                report = self.load(stream, dry_run)
        except OSError as exc:
            raise CommandError(f"не удалось прочитать {file}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: файл должен быть в UTF-8 ({exc})") from exc
        except RowError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        for error in report.errors:
            self.stderr.write(error)
        prefix = "проверка (ничего не изменено): " if dry_run else ""
        self.stdout.write(f"{prefix}{self.summary(report)}, ошибок {len(report.errors)}")
        if report.errors:
            raise CommandError(f"строк с ошибками: {len(report.errors)}; они не загружены", returncode=2)
