from kabinet.exchange.commands import ImportCommand


class Command(ImportCommand):
    help = "Load meter readings billing took by phone, inspector or smart meter (format: formats/readings.md)."
    kind = "readings"
