"""Refunds through ЮKassa, and the periodic task that asks about what never finished."""

from datetime import timedelta
from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone
import pytest

from kabinet.billing.models import MonthBalance, Payment
from kabinet.payments.errors import PaymentRefused
from kabinet.payments.models import OnlinePayment, Refund
from kabinet.payments.services import check_payment, refresh_pending, refund, start_payment


def paid(yookassa, customer, account, amount="1000.00"):
    payment = start_payment(
        user=customer,
        account=account,
        amount=Decimal(amount),
        method="bank_card",
        receipt_email="anna@example.ru",
        return_url="https://lk.example.ru/back/",
    )
    yookassa.succeed(payment.acquirer_id)
    return check_payment(payment)


def test_a_partial_then_a_full_refund(db, yookassa, account, customer):
    payment = paid(yookassa, customer, account)
    first = refund(payment=payment, amount=Decimal("300.00"), reason="Переплата", staff_user=None)
    assert first.status == Refund.Status.SUCCEEDED and first.acquirer_id in yookassa.refunds
    sent_body = yookassa.keys[("/v3/refunds", str(first.public_id))][0]
    assert sent_body["payment_id"] == payment.acquirer_id and sent_body["amount"]["value"] == "300.00"
    assert sent_body["receipt"]["items"][0]["amount"]["value"] == "300.00"
    rest = refund(payment=payment, amount=Decimal("700.00"), reason="Договор расторгнут", staff_user=None)
    assert rest.status == Refund.Status.SUCCEEDED
    amounts = sorted(Payment.objects.values_list("amount", flat=True))
    assert amounts == [Decimal("-700.00"), Decimal("-300.00"), Decimal("1000.00")]
    assert MonthBalance.objects.get(account=account).paid == Decimal("0.00")


def test_an_over_refund_is_refused(db, yookassa, account, customer):
    payment = paid(yookassa, customer, account)
    refund(payment=payment, amount=Decimal("600.00"), reason="Переплата", staff_user=None)
    with pytest.raises(PaymentRefused, match="не больше 400,00") as refused:
        refund(payment=payment, amount=Decimal("400.01"), reason="Ещё", staff_user=None)
    assert refused.value.field == "amount"
    assert Refund.objects.count() == 1 and len(yookassa.refunds) == 1


def test_a_refund_needs_a_reason_and_a_paid_payment(db, yookassa, account, customer):
    payment = paid(yookassa, customer, account)
    with pytest.raises(PaymentRefused) as refused:
        refund(payment=payment, amount=Decimal("1.00"), reason="  ", staff_user=None)
    assert refused.value.field == "reason"
    pending = start_payment(
        user=customer, account=account, amount=Decimal("5"), method="sbp", receipt_email="a@example.ru", return_url="/"
    )
    with pytest.raises(PaymentRefused):
        refund(payment=pending, amount=Decimal("1.00"), reason="Ошибка", staff_user=None)


def test_a_refund_the_acquirer_did_not_answer_is_sent_again_with_the_same_key(db, yookassa, account, customer):
    payment = paid(yookassa, customer, account)
    yookassa.script = [("status", 500)] * 3
    waiting = refund(payment=payment, amount=Decimal("100.00"), reason="Переплата", staff_user=None)
    assert waiting.status == Refund.Status.PENDING and not yookassa.refunds
    assert refresh_pending() == 1
    waiting.refresh_from_db()
    assert waiting.status == Refund.Status.SUCCEEDED
    keys = {key for method, path, key in yookassa.requests if path == "/v3/refunds"}
    assert keys == {str(waiting.public_id)}


def test_a_payment_whose_notification_never_came_is_resolved_by_the_task(db, yookassa, account, customer):
    payment = start_payment(
        user=customer, account=account, amount=Decimal("50"), method="sbp", receipt_email="a@example.ru", return_url="/"
    )
    assert refresh_pending() == 0, "a fresh payment is not asked about: the customer is still paying"
    OnlinePayment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert refresh_pending() == 0, "still pending at ЮKassa"
    yookassa.cancel(payment.acquirer_id, reason="expired_on_confirmation", party="yoo_money")  # ЮKassa's expiry
    call_command("refresh_payments")
    payment.refresh_from_db()
    assert payment.status == "canceled" and payment.cancellation_reason == "expired_on_confirmation"
    assert payment.events.last().source == "task"


def test_a_payment_begun_but_never_created_is_given_up(db, account, customer):
    payment = OnlinePayment.objects.create(account=account, user=customer, amount=Decimal("10"), method="sbp")
    OnlinePayment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert refresh_pending() == 1
    assert OnlinePayment.objects.get().status == "canceled"
