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


def _move_locked(locked: OnlinePayment, new: str, source: str, details: dict, fields: dict, revive=False) -> None:
    old = locked.status
    if new not in ALLOWED[old] and not revive:
        raise IllegalTransition(f"payment {locked.public_id}: {old} → {new}")
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.status = new
    if new == S.SUCCEEDED:
        locked.paid_at = locked.paid_at or timezone.now()
        on = ledger.local_date(details.get("captured_at"))
        source_id = locked.acquirer_id or str(locked.public_id)
        locked.ledger_entry = _ledger_entry(locked, details, locked.account, source_id, locked.amount, on)
    locked.save()
    PaymentEvent.objects.create(payment=locked, old_status=old, new_status=new, source=source, details=details)


def _ledger_entry(locked, details: dict, *args):
    """ledger.entry; an entry that is not this payment is left unlinked, said in the event's
    details and flagged for a person to reconcile."""
    found, mismatch = ledger.entry(*args)
    if mismatch:
        details["ledger_mismatch"] = mismatch
        locked.reconcile = True
    return found


def give_up(payment: OnlinePayment, reason: str, source: str, details: dict | None = None) -> OnlinePayment:
    """A payment the acquirer never took (refused the request, or never created it while its
    Idempotence-Key lived): cancelled by us. Only a payment still `new` under the row lock: a
    notification or a check that got there first has the last word."""
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != S.NEW:
            logger.info("payment %s is %s: not given up", locked.public_id, locked.status)
            return locked
        fields = {"cancellation_party": "merchant", "cancellation_reason": reason}
        _move_locked(locked, S.CANCELED, source, details or {}, fields)
    return locked


def _revive(locked: OnlinePayment, obj: dict, source: str) -> bool:
    """The backstop for a payment we gave up (kabinet_unavailable) that ЮKassa did create and
    charge after all: it becomes succeeded, with its entry, an event and an error log."""
    revivable = locked.status == S.CANCELED and locked.cancellation_reason == "kabinet_unavailable"
    if not (revivable and obj.get("status") == S.SUCCEEDED):
        return False
    logger.error("payment %s was given up but ЮKassa charged it (%s): recorded", locked.public_id, obj.get("id"))
    fields = _fields_of(locked, obj) | {"cancellation_party": "", "cancellation_reason": "", "reconcile": True}
    details = _details(obj) | {"revived": "given up as kabinet_unavailable, succeeded at ЮKassa"}
    _move_locked(locked, S.SUCCEEDED, source, details, fields, revive=True)  # the one way out of a final state
    return True


def apply_payment(payment: OnlinePayment, obj: dict, source: str) -> OnlinePayment:
    """Bring the payment to the state of the acquirer's object (fetched from the API, never a
    notification's body). A final payment stays as it is; an object that does not match the
    payment (amount, currency, our id) raises BadNotification and changes nothing."""
    check_matches(payment, obj)
    with transaction.atomic():
        locked = OnlinePayment.objects.select_for_update().get(pk=payment.pk)
        remote = obj.get("status")
        if locked.is_final and _revive(locked, obj, source):
            return locked
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
        entry = _ledger_entry(locked.payment, details, locked.payment.account, source_id, -locked.amount, on)
        locked.ledger_entry = entry
        if locked.payment.reconcile:
            locked.payment.save(update_fields=["reconcile", "updated_at"])
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
