from kabinet.exchange.commands import ImportCommand


class Command(ImportCommand):
    help = "Load the meters of personal accounts from the billing export (format: formats/meters.md)."
    kind = "meters"
