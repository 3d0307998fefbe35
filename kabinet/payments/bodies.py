"""The requests Kabinet sends to ЮKassa (API v3 shapes), with the 54-ФЗ receipt."""

from django.conf import settings

from kabinet.payments.models import OnlinePayment, Refund


def payment_body(payment: OnlinePayment, return_url: str) -> dict:
    """ЮKassa's «create payment» request: one-stage (capture), redirect confirmation, the
    receipt's one line, and our id in the metadata (checked on every answer)."""
    value = f"{payment.amount:.2f}"
    number = payment.account.number
    return {
        "amount": {"value": value, "currency": "RUB"},
        "capture": True,
        "confirmation": {"type": "redirect", "return_url": return_url},
        "payment_method_data": {"type": payment.method},
        "description": f"Оплата по лицевому счёту {number}"[:128],
        "metadata": {"kabinet_payment": str(payment.public_id), "account": number},
        "receipt": receipt(payment, value, f"Оплата услуг по лицевому счёту {number}"),
    }


def receipt(payment: OnlinePayment, value: str, description: str) -> dict:
    customer = {"email": payment.receipt_email} if payment.receipt_email else {"phone": payment.receipt_phone}
    item = {
        "description": description[:128],
        "quantity": "1.00",
        "amount": {"value": value, "currency": "RUB"},
        "vat_code": settings.KABINET_YOOKASSA_VAT_CODE,
        "payment_subject": "service",
        "payment_mode": "full_payment",
    }
    return {"customer": customer, "items": [item]}


def refund_body(refund: Refund) -> dict:
    """ЮKassa's «create refund» request, with the refund receipt (54-ФЗ)."""
    payment = refund.payment
    value = f"{refund.amount:.2f}"
    return {
        "payment_id": payment.acquirer_id,
        "amount": {"value": value, "currency": "RUB"},
        "description": refund.reason[:250],
        "receipt": receipt(payment, value, f"Возврат оплаты по лицевому счёту {payment.account.number}"),
    }
