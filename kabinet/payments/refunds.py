"""Refunds of online payments, fully or in part, by a supervisor through the acquirer."""

from decimal import Decimal
import logging

from django.db import transaction
from django.db.models import Sum

from kabinet.billing.money import format_rub, is_whole_kopecks
from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.bodies import refund_body
from kabinet.payments.errors import AcquirerRejected, AcquirerUnavailable, PaymentRefused
from kabinet.payments.models import OnlinePayment, PaymentEvent, Refund

logger = logging.getLogger(__name__)


def refund(
    *, payment: OnlinePayment, amount: Decimal, reason: str, staff_user, source: str = PaymentEvent.Source.STAFF
) -> Refund:
    """Record the refund (pending) under the payment's row lock, so that refunds together never
    exceed what was paid, then ask the acquirer with the refund's public id as the idempotence
    key. The refund that comes back is succeeded (a negative entry in the account's payments),
    pending (the acquirer is busy or did not answer: the periodic task asks again with the same
    key) or canceled (the acquirer refused)."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentRefused("Укажите причину возврата.", "reason")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or not is_whole_kopecks(amount):
        raise PaymentRefused("Введите сумму возврата больше нуля, в рублях и копейках.", "amount")
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != OnlinePayment.Status.SUCCEEDED:
            raise PaymentRefused("Вернуть можно только оплаченный платёж.")
        left = locked.amount - refunded(locked)
        if amount > left:
            raise PaymentRefused(f"Вернуть можно не больше {format_rub(left)}.", "amount")
        created = Refund.objects.create(payment=locked, amount=amount, reason=reason, requested_by=staff_user)
        PaymentEvent.objects.create(
            payment=locked, refund=created, new_status=created.status, source=source, details={"reason": reason}
        )
    return send(created, source)


def refunded(payment: OnlinePayment) -> Decimal:
    """Refunds of the payment that are done or may still be done."""
    total = payment.refunds.exclude(status=Refund.Status.CANCELED).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


def send(refund: Refund, source: str) -> Refund:
    """Create (or, with the same key, find again) the refund at the acquirer and apply its answer."""
    refund = Refund.objects.select_related("payment__account").get(pk=refund.pk)
    try:
        obj = get_acquirer().create_refund(refund_body(refund), str(refund.public_id))
    except AcquirerUnavailable as exc:
        logger.warning("refund %s not sent: %s", refund.public_id, exc)
        return refund
    except AcquirerRejected as exc:
        logger.error("ЮKassa refused refund %s: %s", refund.public_id, exc)
        return states.move_refund(
            refund, Refund.Status.CANCELED, source, {"error": str(exc)}, cancellation_reason=exc.code[:64]
        )
    return states.apply_refund(refund, obj, source)
