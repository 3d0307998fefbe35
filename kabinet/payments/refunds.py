"""Refunds of online payments, fully or in part, by a supervisor through the acquirer."""

from decimal import Decimal
import logging
import uuid

from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest

from kabinet.billing.money import format_rub, is_whole_kopecks, to_kopecks
from kabinet.core.audit import record
from kabinet.core.models import AuditEvent
from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.bodies import refund_body
from kabinet.payments.errors import AcquirerRejected, AcquirerUnavailable, PaymentRefused
from kabinet.payments.models import OnlinePayment, PaymentEvent, Refund

logger = logging.getLogger(__name__)


def refund(
    *,
    payment: OnlinePayment,
    amount: Decimal,
    reason: str,
    staff_user,
    source: str = PaymentEvent.Source.STAFF,
    public_id: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> Refund:
    """Record the refund (pending) under the payment's row lock, so that refunds together never
    exceed what was paid, then ask the acquirer with the refund's public id as the idempotence
    key. The refund that comes back is succeeded (a negative entry in the account's payments),
    pending (the acquirer is busy or did not answer: the periodic task asks again with the same
    key) or canceled (the acquirer refused).
    `public_id`: the form's one-time key. A form sent twice (a double click, a reload) finds the
    refund its first sending made and returns that one: two partial refunds are never made of
    one intention. Each refund made is in the core audit log too (who, from where, how much, why)."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentRefused("Укажите причину возврата.", "reason")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 or not is_whole_kopecks(amount):
        raise PaymentRefused("Введите сумму возврата больше нуля, в рублях и копейках.", "amount")
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != OnlinePayment.Status.SUCCEEDED:
            raise PaymentRefused("Вернуть можно только оплаченный платёж.")
        if public_id is not None and (made := Refund.objects.filter(public_id=public_id).first()) is not None:
            if made.payment_id != locked.pk:
                raise PaymentRefused("Форма устарела: откройте страницу платежа заново.")
            return made
        left = locked.amount - refunded(locked)
        if amount > left:
            raise PaymentRefused(f"Вернуть можно не больше {format_rub(left)}.", "amount")
        created = Refund.objects.create(
            payment=locked, amount=amount, reason=reason, requested_by=staff_user, public_id=public_id or uuid.uuid4()
        )
        PaymentEvent.objects.create(
            payment=locked, refund=created, new_status=created.status, source=source, details={"reason": reason}
        )
        _audit(created, staff_user, request)
    return send(created, source)


def _audit(made: Refund, staff_user, request: HttpRequest | None) -> None:
    """Money returned at an employee's word: the security log keeps who, when and from where,
    beside the payment's own journal (PaymentEvent)."""
    record(
        AuditEvent.Action.REFUND,
        request=request,
        user=staff_user,
        identifier=made.payment.account.number,
        payment=str(made.payment.public_id),
        refund=str(made.public_id),
        amount=str(to_kopecks(made.amount)),
        reason=made.reason,
    )


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
