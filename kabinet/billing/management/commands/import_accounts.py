from kabinet.billing.imports import ImportReport, import_accounts
from kabinet.core.csv_import import CsvImportCommand


class Command(CsvImportCommand):
    help = "Load personal accounts and premises from the billing export (format: formats/accounts.md)."

    def load(self, stream, dry_run: bool) -> ImportReport:
        return import_accounts(stream, dry_run=dry_run)

    def summary(self, report: ImportReport) -> str:
        return f"создано {report.created}, обновлено {report.updated}"
