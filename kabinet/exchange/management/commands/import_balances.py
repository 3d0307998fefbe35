from kabinet.exchange.commands import ImportCommand


class Command(ImportCommand):
    help = "Load monthly balances computed by the billing system (format: formats/balances.md)."
    kind = "balances"
