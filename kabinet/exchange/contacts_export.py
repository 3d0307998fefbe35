"""The export of how each account's bill is delivered (formats/contacts-export.md): the changes
billing.bill_delivery records — «Электронная квитанция» to a confirmed e-mail, or paper again —
marked exported by `ExportedDeliveryChange`; the file, journal and marking are
exports.run_export's. Nothing about the customer but the e-mail the bill goes to (152-ФЗ)."""

from datetime import date, datetime, time
from pathlib import Path

from django.utils import timezone

from kabinet.billing.models import BillDeliveryChange
from kabinet.billing.periods import next_month
from kabinet.exchange.exports import ExportKind, local_iso, run_export
from kabinet.exchange.models import ExportBatch, ExportedDeliveryChange


def _of_month(period: date):
    """The changes made in that month by Kabinet's clock (KABINET_TIME_ZONE)."""
    start, end = (timezone.make_aware(datetime.combine(day, time())) for day in (period, next_month(period)))
    return BillDeliveryChange.objects.filter(changed_at__gte=start, changed_at__lt=end)


def _row(values: tuple) -> list:
    pk, region, account, delivery, email, changed_at, event = values
    return [region, account, delivery, email, local_iso(changed_at), event, pk]


def _mark(batch: ExportBatch, ids: list[int]) -> None:
    # set-based: not shown (export marks)
    ExportedDeliveryChange.objects.bulk_create(ExportedDeliveryChange(change_id=pk, batch=batch) for pk in ids)


CONTACTS = ExportKind(
    name="contacts",
    header=("region", "account", "delivery", "email", "changed_at", "event", "change_id"),
    fields=("pk", "account__region__code", "account__number", "delivery", "email", "changed_at", "event"),
    new=lambda: BillDeliveryChange.objects.filter(export__isnull=True),
    of_month=_of_month,
    row=_row,
    mark=_mark,
    what="изменений доставки квитанций",
    nothing_new="Новых изменений доставки квитанций нет, файл не создан.",
)


def export_contacts(
    *, period: date | None = None, out_dir: Path | None = None, source: str, user=None, progress=None
) -> ExportBatch:
    """Every bill delivery change not exported yet, or a month's (`period`) again."""
    return run_export(CONTACTS, period=period, out_dir=out_dir, source=source, user=user, progress=progress)
