from kabinet.exchange.commands import ExportCommand
from kabinet.exchange.contacts_export import export_contacts


class Command(ExportCommand):
    help = (
        "Write how each account's bill is delivered (paper or e-mail) for billing "
        "(formats/contacts-export.md): every change not exported yet, or with --period a month's again."
    )
    kind = "contacts"
    title = "Доставка квитанций"
    export = staticmethod(export_contacts)
