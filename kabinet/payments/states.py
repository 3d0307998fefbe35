"""The one place where an online payment or a refund changes state: under a row lock, one
PaymentEvent per change, illegal changes refused. A final state (succeeded, canceled) never
changes; success is reached only from pending or waiting_for_capture, and brings exactly one
entry in the account's payments (payments.ledger)."""

from decimal import Decimal, InvalidOperation
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from kabinet.payments import ledger
from kabinet.payments.errors import BadNotification
from kabinet.payments.models import OnlinePayment, PaymentEvent, Refund

logger = logging.getLogger(__name__)
S = OnlinePayment.Status
R = Refund.Status

ALLOWED = {
    S.NEW: {S.PENDING, S.CANCELED},
    S.PENDING: {S.WAITING_FOR_CAPTURE, S.SUCCEEDED, S.CANCELED},
    S.WAITING_FOR_CAPTURE: {S.SUCCEEDED, S.CANCELED},
    S.SUCCEEDED: set(),
    S.CANCELED: set(),
}
REFUND_ALLOWED = {R.PENDING: {R.SUCCEEDED, R.CANCELED}, R.SUCCEEDED: set(), R.CANCELED: set()}


class IllegalTransition(Exception):
    pass


def move(payment: OnlinePayment, new: str, source: str, details: dict | None = None, **fields) -> OnlinePayment:
    """Change the payment's state (and set `fields`) under a row lock; the locked, updated row."""
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
        _move_locked(locked, new, source, details or {}, fields)
    return locked


def _move_locked(locked: OnlinePayment, new: str, source: str, details: dict, fields: dict) -> None:
    old = locked.status
    if new not in ALLOWED[old]:
        raise IllegalTransition(f"payment {locked.public_id}: {old} → {new}")
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.status = new
    if new == S.SUCCEEDED:
        locked.paid_at = locked.paid_at or timezone.now()
        on = ledger.local_date(details.get("captured_at"))
        source_id = locked.acquirer_id or str(locked.public_id)
        locked.ledger_entry = ledger.entry(locked.account, source_id, locked.amount, on)
    locked.save()
    PaymentEvent.objects.create(payment=locked, old_status=old, new_status=new, source=source, details=details)


def give_up(payment: OnlinePayment, reason: str, source: str, details: dict | None = None) -> OnlinePayment:
    """A payment the acquirer never took (no answer, or refused the request): cancelled by us."""
    return move(payment, S.CANCELED, source, details, cancellation_party="merchant", cancellation_reason=reason)


def apply_payment(payment: OnlinePayment, obj: dict, source: str) -> OnlinePayment:
    """Bring the payment to the state of the acquirer's object (fetched from the API, never a
    notification's body). A final payment stays as it is; an object that does not match the
    payment (amount, currency, our id) raises BadNotification and changes nothing."""
    check_matches(payment, obj)
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
        remote = obj.get("status")
        if locked.is_final or remote not in ALLOWED:
            if remote != locked.status:
                logger.warning("payment %s is %s, the acquirer says %s", locked.public_id, locked.status, remote)
            return locked
        fields = _fields_of(locked, obj)
        if remote == locked.status:
            _set(locked, fields)
            return locked
        if locked.status == S.NEW and remote in (S.WAITING_FOR_CAPTURE, S.SUCCEEDED):
            _move_locked(locked, S.PENDING, source, _details(obj), {})  # success only from pending
        _move_locked(locked, remote, source, _details(obj), fields)
    return locked


def _set(locked: OnlinePayment, fields: dict) -> None:
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, fields[name])
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])


def _fields_of(locked: OnlinePayment, obj: dict) -> dict:
    fields = {"acquirer_id": obj["id"]}
    url = (obj.get("confirmation") or {}).get("confirmation_url")
    if url:
        fields["confirmation_url"] = url
    if obj.get("status") == S.CANCELED:
        cancellation = obj.get("cancellation_details") or {}
        fields["cancellation_party"] = str(cancellation.get("party", ""))[:32]
        fields["cancellation_reason"] = str(cancellation.get("reason", ""))[:64]
    if obj.get("status") == S.SUCCEEDED and obj.get("captured_at"):
        fields["paid_at"] = parse_datetime(obj["captured_at"])
    return fields


def _details(obj: dict) -> dict:
    keep = ("id", "status", "captured_at", "cancellation_details", "payment_method", "test")
    details = {key: obj[key] for key in keep if key in obj}
    if "payment_method" in details:  # never more than the method's type and title
        method = details["payment_method"] or {}
        details["payment_method"] = {k: method[k] for k in ("type", "title", "saved") if k in method}
    return details


def check_matches(payment: OnlinePayment, obj: dict) -> None:
    """The acquirer's object is this payment: its id (if we know it), our public id in its
    metadata, the same amount in roubles."""
    if payment.acquirer_id and obj.get("id") != payment.acquirer_id:
        raise BadNotification(f"payment {payment.public_id}: acquirer id {obj.get('id')!r}")
    metadata = obj.get("metadata") or {}
    if metadata.get("kabinet_payment") != str(payment.public_id):
        raise BadNotification(f"payment {payment.public_id}: metadata {metadata!r}")
    if _amount(obj) != (payment.amount, "RUB"):
        raise BadNotification(f"payment {payment.public_id}: amount {obj.get('amount')!r}")


def _amount(obj: dict) -> tuple[Decimal | None, str | None]:
    amount = obj.get("amount") or {}
    try:
        return Decimal(str(amount.get("value"))), amount.get("currency")
    except (InvalidOperation, TypeError):
        return None, None


# --- Refunds ----------------------------------------------------------------------------------
def move_refund(refund: Refund, new: str, source: str, details: dict | None = None, **fields) -> Refund:
    with transaction.atomic():
        locked = Refund.objects.select_for_update().select_related("payment__account").get(pk=refund.pk)
        _move_refund_locked(locked, new, source, details or {}, fields)
    return locked


def _move_refund_locked(locked: Refund, new: str, source: str, details: dict, fields: dict) -> None:
    old = locked.status
    if new not in REFUND_ALLOWED[old]:
        raise IllegalTransition(f"refund {locked.public_id}: {old} → {new}")
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.status = new
    if new == R.SUCCEEDED:
        on = ledger.local_date(details.get("created_at"))
        source_id = locked.acquirer_id or str(locked.public_id)
        locked.ledger_entry = ledger.entry(locked.payment.account, source_id, -locked.amount, on)
    locked.save()
    PaymentEvent.objects.create(
        payment=locked.payment, refund=locked, old_status=old, new_status=new, source=source, details=details
    )


def apply_refund(refund: Refund, obj: dict, source: str) -> Refund:
    """Bring the refund to the state of the acquirer's refund object (fetched from the API)."""
    payment = refund.payment
    if obj.get("payment_id") != payment.acquirer_id or _amount(obj) != (refund.amount, "RUB"):
        raise BadNotification(f"refund {refund.public_id}: {obj.get('payment_id')!r} {obj.get('amount')!r}")
    if refund.acquirer_id and obj.get("id") != refund.acquirer_id:
        raise BadNotification(f"refund {refund.public_id}: acquirer id {obj.get('id')!r}")
    with transaction.atomic():
        locked = Refund.objects.select_for_update().select_related("payment__account").get(pk=refund.pk)
        remote = obj.get("status")
        fields = {"acquirer_id": obj["id"]}
        if remote == R.CANCELED:
            fields["cancellation_reason"] = str((obj.get("cancellation_details") or {}).get("reason", ""))[:64]
        if locked.is_final or remote not in REFUND_ALLOWED or remote == locked.status:
            if not locked.acquirer_id:
                locked.acquirer_id = obj["id"]
                locked.save(update_fields=["acquirer_id", "updated_at"])
            return locked
        details = {key: obj[key] for key in ("id", "status", "created_at", "cancellation_details") if key in obj}
        _move_refund_locked(locked, remote, source, details, fields)
    return locked
