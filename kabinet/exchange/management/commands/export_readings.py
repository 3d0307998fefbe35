from kabinet.exchange.commands import ExportCommand
from kabinet.exchange.readings_export import export_readings


class Command(ExportCommand):
    help = (
        "Write the readings customers submitted in Kabinet for billing (formats/readings-export.md): "
        "every one not exported yet, or with --period a month's again."
    )
    kind = "readings"
    title = "Показания"
    export = staticmethod(export_readings)
