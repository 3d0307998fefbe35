from django.core.management.base import CommandError

from kabinet.billing.registry import RegistryUnavailable
from kabinet.core.csv_import import CsvImportCommand
from kabinet.identity.legacy import ImportReport, import_legacy_users


class Command(CsvImportCommand):
    help = "Import users of the old portal with their password hashes (format: docs/legacy-users.md)."

    def load(self, stream, dry_run: bool) -> ImportReport:
        try:
            return import_legacy_users(stream, dry_run=dry_run)
        except RegistryUnavailable as exc:
            raise CommandError(f"реестр лицевых счетов недоступен (регион {exc}); повторите позже") from exc

    def summary(self, report: ImportReport) -> str:
        return (
            f"создано {report.created}, обновлено {report.updated}, "
            f"без изменений {report.unchanged} (уже входили в новый кабинет)"
        )
