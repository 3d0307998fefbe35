from kabinet.exchange.commands import ImportCommand


class Command(ImportCommand):
    help = "Load personal accounts and premises from the billing export (format: formats/accounts.md)."
    kind = "accounts"
