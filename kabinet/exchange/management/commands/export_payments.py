from kabinet.exchange.commands import ExportCommand
from kabinet.exchange.payments_export import export_payments


class Command(ExportCommand):
    help = (
        "Write the online payments and refunds made in Kabinet for billing (formats/payments-export.md): "
        "every one not exported yet, or with --period a month's again."
    )
    kind = "payments"
    title = "Онлайн-платежи"
    export = staticmethod(export_payments)
