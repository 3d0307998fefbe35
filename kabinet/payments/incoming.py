"""ЮKassa's HTTP notifications. The body is only a hint of which object changed: its status
and amount are never trusted (anyone can POST to the URL). The object is fetched from the
API and applied like any check, so a repeated or forged notification changes nothing."""

import json
import logging
import uuid

from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.errors import AcquirerNotFound, AcquirerRejected, BadNotification
from kabinet.payments.models import OnlinePayment, PaymentEvent, Refund

logger = logging.getLogger(__name__)
EVENTS = {"payment.waiting_for_capture", "payment.succeeded", "payment.canceled", "refund.succeeded"}
NOTIFICATION = PaymentEvent.Source.NOTIFICATION


def apply_notification(body: bytes) -> None:
    """Apply the object a notification names. BadNotification for garbage, for an object the
    acquirer does not know or that does not match ours; AcquirerUnavailable when the API cannot
    be asked (the view answers 503, and ЮKassa sends the notification again)."""
    event, object_id = parse(body)
    acquirer = get_acquirer()
    try:
        if event.startswith("payment."):
            _apply_payment(acquirer.get_payment(object_id))
        else:
            _apply_refund(acquirer.get_refund(object_id))
    except AcquirerNotFound as exc:
        raise BadNotification(f"{event} {object_id}: unknown to the acquirer") from exc
    except AcquirerRejected as exc:
        raise BadNotification(f"{event} {object_id}: {exc}") from exc


def parse(body: bytes) -> tuple[str, str]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadNotification("not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise BadNotification("no object")
    event, object_id = data.get("event"), data["object"].get("id")
    if event not in EVENTS or not isinstance(object_id, str) or not 0 < len(object_id) <= 64:
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
    if refund is None:
        logger.warning("notification about refund %s, which Kabinet has not recorded yet", obj.get("id"))
        return
    states.apply_refund(refund, obj, NOTIFICATION)
