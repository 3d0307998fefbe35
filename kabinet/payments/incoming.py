"""ЮKassa's HTTP notifications. The body is only a hint of which object changed: its status
and amount are never trusted (anyone can POST to the URL). The object is fetched from the
API and applied like any check, so a repeated or forged notification changes nothing."""

from decimal import Decimal, InvalidOperation
import json
import logging
import uuid

from django.db import transaction

from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.errors import AcquirerNotFound, AcquirerRejected, AcquirerUnavailable, BadNotification
from kabinet.payments.models import OnlinePayment, PaymentEvent, Refund

logger = logging.getLogger(__name__)
EVENTS = {"payment.waiting_for_capture", "payment.succeeded", "payment.canceled", "refund.succeeded"}
# ЮKassa's other events (a merchant profile may subscribe to them): answered 200 and ignored, so
# that ЮKassa does not send them again for 24 hours.
IGNORED = {"payment_method.active", "deal.closed", "payout.succeeded", "payout.canceled", "refund.canceled"}
NOTIFICATION = PaymentEvent.Source.NOTIFICATION


def apply_notification(body: bytes) -> None:
    """Apply the object a notification names. BadNotification for garbage, for an object the
    acquirer does not know or that does not match ours; AcquirerUnavailable when the API cannot
    be asked (the view answers 503, and ЮKassa sends the notification again)."""
    event, object_id = parse(body)
    if event in IGNORED:
        logger.info("notification %s ignored", event)
        return
    acquirer = get_acquirer()
    try:
        if event.startswith("payment."):
            _apply_payment(acquirer.get_payment(object_id))
        else:
            _apply_refund(acquirer.get_refund(object_id))
    except AcquirerNotFound as exc:
        raise BadNotification(f"{event} {object_id}: unknown to the acquirer") from exc
    except AcquirerRejected as exc:
        if exc.status in (401, 403):  # our credentials or the shop's settings: ЮKassa retries for 24 h
            logger.error("ЮKassa refused to show %s %s: %s", event, object_id, exc)
            raise AcquirerUnavailable(detail=str(exc)) from exc
        raise BadNotification(f"{event} {object_id}: {exc}") from exc


def parse(body: bytes) -> tuple[str, str]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadNotification("not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise BadNotification("no object")
    event, object_id = data.get("event"), data["object"].get("id")
    if event not in EVENTS | IGNORED:
        raise BadNotification(f"event {event!r}")
    if event in EVENTS and (not isinstance(object_id, str) or not 0 < len(object_id) <= 64):
        raise BadNotification(f"event {event!r}, id {object_id!r}")
    return event, object_id


def _apply_payment(obj: dict) -> None:
    payment = OnlinePayment.objects.filter(acquirer_id=obj.get("id")).first()
    if payment is None:
        # Created, but its id not saved yet (the notification overtook the creation's answer):
        # the metadata, read from the API and so trusted, names it.
        public_id = (obj.get("metadata") or {}).get("kabinet_payment")
        payment = _by_public_id(public_id)
    if payment is None:
        logger.warning("notification about payment %s, which is not Kabinet's", obj.get("id"))
        return
    states.apply_payment(payment, obj, NOTIFICATION)


def _by_public_id(public_id) -> OnlinePayment | None:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return OnlinePayment.objects.filter(public_id=key, acquirer_id=None).first()


def _apply_refund(obj: dict) -> None:
    refund = Refund.objects.select_related("payment").filter(acquirer_id=obj.get("id")).first()
    payment = OnlinePayment.objects.filter(acquirer_id=obj.get("payment_id")).first() if refund is None else None
    if refund is None and payment is not None:
        # Ours, but its id not saved yet (the notification overtook the creation's answer).
        refund = payment.refunds.filter(acquirer_id=None, status=Refund.Status.PENDING, amount=_value(obj)).first()
    if refund is not None:
        states.apply_refund(refund, obj, NOTIFICATION)
    elif payment is not None:
        _refund_made_elsewhere(payment, obj)
    else:
        logger.warning("notification about refund %s of a payment that is not Kabinet's", obj.get("id"))


def _refund_made_elsewhere(payment: OnlinePayment, obj: dict) -> None:
    """A refund made in ЮKassa's dashboard, not through Kabinet: the money went back, but the
    account's payments do not say so. A person records it (flag and event in /admin/)."""
    logger.error("refund %s of payment %s was made outside Kabinet: reconcile", obj.get("id"), payment.public_id)
    details = {key: obj[key] for key in ("id", "status", "amount", "created_at", "description") if key in obj}
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
        if locked.events.filter(details__refund_outside_kabinet__id=obj.get("id")).exists():
            return  # the same notification again
        locked.reconcile = True
        locked.save(update_fields=["reconcile", "updated_at"])
        PaymentEvent.objects.create(
            payment=locked,
            old_status=locked.status,
            new_status=locked.status,
            source=NOTIFICATION,
            details={"refund_outside_kabinet": details},
        )


def _value(obj: dict):
    try:
        return Decimal(str((obj.get("amount") or {}).get("value")))
    except (InvalidOperation, TypeError, AttributeError):
        return None
