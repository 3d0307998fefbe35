"""The demo acquirer («Тестовая оплата»): ЮKassa's JSON shapes, its side kept in DemoCharge,
its confirmation page at /payments/demo/<id>/ (payments.views). Used only when DEBUG is on and
no ЮKassa shop is configured (acquirer.demo_enabled); it sends no notifications, so Kabinet
learns the outcome by asking, as for a ЮKassa payment whose notification was lost."""

from datetime import timedelta
import uuid

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from kabinet.payments.errors import AcquirerNotFound, AcquirerRejected
from kabinet.payments.models import DemoCharge

# ЮKassa cancels a payment nobody confirmed; the demo does the same after an hour.
EXPIRES_AFTER = timedelta(hours=1)


def _now() -> str:
    return timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


class DemoAcquirer:
    def create_payment(self, body: dict, idempotence_key: str) -> dict:
        charge_id = str(uuid.uuid4())
        if "payment_method_id" in body:
            return _create(DemoCharge.Kind.PAYMENT, idempotence_key, body, charge_id, _autopayment(charge_id, body))
        confirmation = {
            "type": "redirect",
            "return_url": body.get("confirmation", {}).get("return_url", "/"),
            "confirmation_url": reverse("payments:demo", args=[charge_id]),
        }
        obj = {
            "id": charge_id,
            "status": "pending",
            "paid": False,
            "amount": body["amount"],
            "description": body.get("description", ""),
            "metadata": body.get("metadata", {}),
            "payment_method": {"type": body.get("payment_method_data", {}).get("type", "bank_card"), "saved": False},
            "confirmation": confirmation,
            "created_at": _now(),
            "test": True,
            "refundable": False,
            "recipient": {"account_id": "demo", "gateway_id": "demo"},
        }
        return _create(DemoCharge.Kind.PAYMENT, idempotence_key, body, charge_id, obj)

    def get_payment(self, acquirer_id: str) -> dict:
        charge = _charge(DemoCharge.Kind.PAYMENT, acquirer_id)
        if charge.object["status"] == "pending" and charge.created_at < timezone.now() - EXPIRES_AFTER:
            finish(acquirer_id, paid=False, reason="expired_on_confirmation")
            charge.refresh_from_db()
        return charge.object

    def create_refund(self, body: dict, idempotence_key: str) -> dict:
        """Demo refunds succeed at once."""
        charge_id = str(uuid.uuid4())
        obj = {
            "id": charge_id,
            "payment_id": body["payment_id"],
            "status": "succeeded",
            "amount": body["amount"],
            "description": body.get("description", ""),
            "created_at": _now(),
        }
        return _create(DemoCharge.Kind.REFUND, idempotence_key, body, charge_id, obj)

    def get_refund(self, acquirer_id: str) -> dict:
        return _charge(DemoCharge.Kind.REFUND, acquirer_id).object


def _autopayment(charge_id: str, body: dict) -> dict:
    """A charge of a saved method: no confirmation, succeeded at once; a method never saved
    (or unknown) is refused as ЮKassa refuses a revoked one."""
    saved = DemoCharge.objects.filter(kind=DemoCharge.Kind.PAYMENT, pk=body["payment_method_id"]).first()
    method = (saved.object.get("payment_method") or {}) if saved else {}
    obj = {
        "id": charge_id,
        "amount": body["amount"],
        "description": body.get("description", ""),
        "metadata": body.get("metadata", {}),
        "payment_method": method,
        "created_at": _now(),
        "test": True,
        "recipient": {"account_id": "demo", "gateway_id": "demo"},
    }
    if method.get("saved"):
        # set-based: not a write (a dict's update)
        obj.update(status="succeeded", paid=True, captured_at=_now(), refundable=True)
    else:
        cancellation = {"party": "yoo_money", "reason": "permission_revoked"}
        # set-based: not a write (a dict's update)
        obj.update(status="canceled", paid=False, refundable=False, cancellation_details=cancellation)
    return obj


def _create(kind: str, key: str, body: dict, charge_id: str, obj: dict) -> dict:
    """Like ЮKassa: the same key returns the same object; with another body it is an error."""
    existing = DemoCharge.objects.filter(kind=kind, idempotence_key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                existing = DemoCharge.objects.create(
                    id=charge_id, kind=kind, idempotence_key=key, request=body, object=obj
                )
        except IntegrityError:
            existing = DemoCharge.objects.get(kind=kind, idempotence_key=key)
    if existing.request != body:
        raise AcquirerRejected(400, "invalid_request", "Idempotence key duplicated")
    return existing.object


def _charge(kind: str, acquirer_id: str) -> DemoCharge:
    charge = DemoCharge.objects.filter(kind=kind, pk=acquirer_id).first()
    if charge is None:
        raise AcquirerNotFound(404, "not_found", "Object not found")
    return charge


def pending_charge(charge_id: str) -> DemoCharge | None:
    """The demo payment the confirmation page shows, if it exists."""
    return DemoCharge.objects.filter(kind=DemoCharge.Kind.PAYMENT, pk=charge_id).first()


@transaction.atomic
def finish(charge_id: str, *, paid: bool, reason: str = "expired_on_confirmation") -> DemoCharge:
    """The customer pressed «Оплатить» or «Отменить» on the demo page. A finished charge stays as it is."""
    charge = DemoCharge.objects.select_for_update().get(kind=DemoCharge.Kind.PAYMENT, pk=charge_id)
    obj = charge.object
    if obj["status"] != "pending":
        return charge
    if paid:
        # set-based: not a write (a dict's update)
        obj.update(status="succeeded", paid=True, captured_at=_now(), refundable=True)
        obj["payment_method"]["title"] = (
            "Тестовая карта *4444" if obj["payment_method"]["type"] == "bank_card" else "СБП"
        )
        if charge.request.get("save_payment_method"):  # like ЮKassa: the method's id is the payment's
            obj["payment_method"].update(saved=True, id=charge_id)  # set-based: not a write (a dict's update)
        if obj["payment_method"]["type"] == "bank_card":
            obj["payment_method"]["card"] = {"last4": "4444", "expiry_month": "12", "expiry_year": "2030"}
    else:
        # set-based: not a write (a dict's update)
        obj.update(status="canceled", cancellation_details={"party": "yoo_money", "reason": reason})
    obj.pop("confirmation", None)  # ЮKassa drops it once the payment is no longer pending
    charge.save(update_fields=["object"])
    return charge
