from kabinet.exchange.commands import ImportCommand


class Command(ImportCommand):
    help = "Load a month of accruals per account from the billing export (format: formats/accruals.md)."
    kind = "accruals"
