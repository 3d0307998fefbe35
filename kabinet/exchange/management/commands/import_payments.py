from kabinet.exchange.commands import ImportCommand


class Command(ImportCommand):
    help = "Load payments from every channel from the billing export (format: formats/payments.md)."
    kind = "payments"
