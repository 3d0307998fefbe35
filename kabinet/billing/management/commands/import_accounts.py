from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kabinet.billing.imports import RowError, import_accounts


class Command(BaseCommand):
    help = "Load personal accounts and premises from the billing export (format: formats/accounts.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, with a header row")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, change nothing")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            with open(file, encoding="utf-8-sig", newline="") as stream:
                report = import_accounts(stream, dry_run=dry_run)
        except OSError as exc:
            raise CommandError(f"не удалось прочитать {file}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: файл должен быть в UTF-8 ({exc})") from exc
        except RowError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        for error in report.errors:
            self.stderr.write(error)
        prefix = "проверка (ничего не изменено): " if dry_run else ""
        self.stdout.write(f"{prefix}создано {report.created}, обновлено {report.updated}, ошибок {len(report.errors)}")
        if report.errors:
            raise CommandError(f"строк с ошибками: {len(report.errors)}; они не загружены", returncode=2)
