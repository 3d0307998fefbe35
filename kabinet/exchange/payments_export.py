"""The export of payments and refunds made in Kabinet (formats/payments-export.md): the ledger
entries (billing.Payment, channel `online`) of succeeded online payments and refunds
(kabinet.payments), marked exported by `ExportedPayment`; the file, journal and marking are
exports.run_export's. Nothing about the payer but the account (152-ФЗ: the format says why)."""

from datetime import date
from pathlib import Path

from kabinet.billing.models import Payment
from kabinet.billing.periods import next_month
from kabinet.exchange.exports import ExportKind, blank, run_export
from kabinet.exchange.models import ExportBatch, ExportedPayment
from kabinet.payments.models import OnlinePayment, Refund


def _kabinets():
    """Ledger entries of Kabinet's payments and refunds: an entry exists only once succeeded.
    One IN over a UNION ALL, not two INs joined by OR: PostgreSQL then starts from Kabinet's
    entries and looks each up by primary key, instead of scanning billing's every payment
    (a branch's million) for each page (docs/exchange.md, «Export `payments`»)."""
    entries = (
        OnlinePayment.objects.filter(ledger_entry__isnull=False)
        .order_by()  # the models' ordering: not allowed in a compound statement's part (SQLite)
        .values("ledger_entry")
        .union(Refund.objects.filter(ledger_entry__isnull=False).order_by().values("ledger_entry"), all=True)
    )
    return Payment.objects.filter(pk__in=entries)


def _row(values: tuple) -> list:
    _pk, region, account, paid_on, amount, channel, source_id, method, refund_of, refund_method = values
    return [region, account, paid_on.isoformat(), amount, channel, source_id, blank(refund_of), method or refund_method]


def _mark(batch: ExportBatch, ids: list[int]) -> None:
    # set-based: not shown (export marks)
    ExportedPayment.objects.bulk_create(ExportedPayment(payment_id=pk, batch=batch) for pk in ids)


PAYMENTS = ExportKind(
    name="payments",
    header=("region", "account", "paid_on", "amount", "channel", "payment_id", "refund_of", "method"),
    fields=(
        "pk",
        "account__region__code",
        "account__number",
        "paid_on",
        "amount",
        "channel",
        "source_id",
        "online_payment__method",
        "online_refund__payment__acquirer_id",
        "online_refund__payment__method",
    ),
    new=lambda: _kabinets().filter(export__isnull=True),
    of_month=lambda period: _kabinets().filter(paid_on__gte=period, paid_on__lt=next_month(period)),
    row=_row,
    mark=_mark,
    what="онлайн-платежей и возвратов",
    nothing_new="Новых онлайн-платежей и возвратов нет, файл не создан.",
)


def export_payments(
    *, period: date | None = None, out_dir: Path | None = None, source: str, user=None, progress=None
) -> ExportBatch:
    """Every Kabinet payment and refund not exported yet, or a month's (`period`) again."""
    return run_export(PAYMENTS, period=period, out_dir=out_dir, source=source, user=user, progress=progress)
