from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kabinet.billing.registry import RegistryUnavailable
from kabinet.identity.legacy import RowError, import_legacy_users


class Command(BaseCommand):
    help = "Import users of the old portal with their password hashes (format: docs/legacy-users.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, with a header row")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, change nothing")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            with open(file, encoding="utf-8-sig", newline="") as stream:
                report = import_legacy_users(stream, dry_run=dry_run)
        except OSError as exc:
            raise CommandError(f"не удалось прочитать {file}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: файл должен быть в UTF-8 ({exc})") from exc
        except RowError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        except RegistryUnavailable as exc:
            raise CommandError(f"реестр лицевых счетов недоступен (регион {exc}); повторите позже") from exc
        for error in report.errors:
            self.stderr.write(error)
        prefix = "проверка (ничего не изменено): " if dry_run else ""
        self.stdout.write(
            f"{prefix}создано {report.created}, обновлено {report.updated}, "
            f"без изменений {report.unchanged} (уже входили в новый кабинет), ошибок {len(report.errors)}"
        )
        if report.errors:
            raise CommandError(f"строк с ошибками: {len(report.errors)}; они не импортированы", returncode=2)
