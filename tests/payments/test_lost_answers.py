"""What the review found (docs/payments.md): answers ЮKassa never gave or Kabinet never read,
races with the periodic task, odd input and odd notifications. Each test failed before."""

from datetime import timedelta
from decimal import Decimal
import logging
import threading

from django.db import connection
from django.utils import timezone
import pytest

from kabinet.billing.models import Payment
from kabinet.payments import refresh, states
from kabinet.payments.errors import AcquirerUnavailable, PaymentRefused
from kabinet.payments.incoming import apply_notification
from kabinet.payments.models import OnlinePayment, PaymentEvent, Refund
from kabinet.payments.services import check_payment, refresh_pending, refund, start_payment
from tests.factories import make_account

RETURN = "https://lk.example.ru/payments/return/"


def pay(customer, account, amount="1500.00", method="bank_card"):
    return start_payment(
        user=customer, account=account, amount=amount, method=method, receipt_email="a@example.ru", return_url=RETURN
    )


def age(obj, **delta):
    type(obj).objects.filter(pk=obj.pk).update(created_at=timezone.now() - timedelta(**delta))


def test_a_creation_that_timed_out_stays_new_and_the_task_finds_the_payment(db, yookassa, account, customer):
    yookassa.script = [("slow", 1.0)] * 3  # ЮKassa created it; every answer came too late
    with pytest.raises(AcquirerUnavailable):
        pay(customer, account)
    payment = OnlinePayment.objects.get()
    assert payment.status == "new" and len(yookassa.payments) == 1
    age(payment, minutes=10)
    assert refresh_pending() == 1
    payment.refresh_from_db()
    assert payment.status == "pending" and payment.acquirer_id == next(iter(yookassa.payments))
    assert len(yookassa.payments) == 1, "the same request under the same key: no second payment"
    assert {key for method, _, key in yookassa.requests if method == "POST"} == {str(payment.public_id)}
    yookassa.succeed(payment.acquirer_id)
    assert check_payment(payment).status == "succeeded" and Payment.objects.count() == 1


def test_the_task_gives_up_a_new_payment_only_when_yookassa_refuses_or_the_key_is_gone(db, yookassa, account, customer):
    yookassa.script = [("status", 502)] * 3
    with pytest.raises(AcquirerUnavailable):
        pay(customer, account)
    refused, expired = OnlinePayment.objects.get(), None
    OnlinePayment.objects.filter(pk=refused.pk).update(create_request={"amount": {"value": "1.00", "currency": "USD"}})
    age(refused, minutes=10)
    yookassa.script = [("status", 502)] * 3
    with pytest.raises(AcquirerUnavailable):
        pay(customer, account, "20.00")
    expired = OnlinePayment.objects.get(amount=Decimal("20.00"))
    age(expired, hours=24)
    asked = len(yookassa.requests)
    assert refresh_pending() == 2
    assert {p.status for p in OnlinePayment.objects.all()} == {"canceled"}
    assert len(yookassa.requests) == asked + 1, "a key ЮKassa no longer keeps is never sent again"


def test_a_given_up_payment_that_yookassa_charged_after_all_is_recorded(db, yookassa, account, customer, caplog):
    yookassa.script = [("slow", 1.0)] * 3
    with pytest.raises(AcquirerUnavailable):
        pay(customer, account)
    payment = OnlinePayment.objects.get()
    age(payment, hours=24)
    refresh_pending()
    payment.refresh_from_db()
    assert payment.status == "canceled" and payment.cancellation_reason == "kabinet_unavailable"
    charged = yookassa.succeed(next(iter(yookassa.payments)))
    with caplog.at_level(logging.ERROR):
        apply_notification(yookassa.notification("payment.succeeded", charged))
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.ledger_entry.amount == Decimal("1500.00")
    assert payment.reconcile and not payment.cancellation_reason
    assert payment.events.last().old_status == "canceled" and "charged" in caplog.text


def test_giving_up_a_payment_a_notification_moved_first_changes_nothing(db, yookassa, account, customer):
    payment = pay(customer, account)
    stale = OnlinePayment.objects.get(pk=payment.pk)
    stale.status = "new"  # as the task or start_payment read it, before the notification
    assert states.give_up(stale, "kabinet_unavailable", "task").status == "pending"
    assert list(payment.events.values_list("new_status", flat=True)) == ["pending"]


def test_a_refund_unanswered_for_23_hours_is_not_sent_again_but_reconciled(db, yookassa, account, customer, caplog):
    payment = pay(customer, account)
    yookassa.succeed(payment.acquirer_id)
    payment = check_payment(payment)
    yookassa.script = [("status", 500)] * 3
    waiting = refund(payment=payment, amount=Decimal("100.00"), reason="Переплата", staff_user=None)
    age(waiting, hours=23, minutes=5)
    sent = len(yookassa.requests)
    with caplog.at_level(logging.ERROR):
        assert refresh_pending() == 0
        refresh_pending()
    assert len(yookassa.requests) == sent and not yookassa.refunds
    waiting.refresh_from_db()
    assert waiting.status == "pending" and waiting.reconcile and "reconcile" in caplog.text
    assert PaymentEvent.objects.filter(refund=waiting, details__has_key="reconcile").count() == 1


def test_one_item_that_fails_does_not_stop_the_run(db, yookassa, account, customer, sverdlovsk):
    broken = pay(customer, account)
    yookassa.payments[broken.acquirer_id] = ["not", "a", "payment"]  # an answer nobody expected
    other_account = make_account(sverdlovsk, "660100000009", flat="9")
    other = start_payment(
        user=None, account=other_account, amount="10", method="sbp", receipt_email="b@example.ru", return_url="/"
    )
    yookassa.succeed(other.acquirer_id)
    age(broken, minutes=10)
    age(other, minutes=10)
    assert refresh_pending() == 1
    assert OnlinePayment.objects.get(pk=other.pk).status == "succeeded"


def test_a_second_run_while_one_is_at_work_does_nothing(db, yookassa, account, customer):
    payment = pay(customer, account)
    yookassa.succeed(payment.acquirer_id)
    age(payment, minutes=10)
    holding, done = threading.Event(), threading.Event()

    def first_run():
        with refresh._only_run() as alone:
            assert alone
            holding.set()
            done.wait(10)
        connection.close()

    thread = threading.Thread(target=first_run)
    thread.start()
    try:
        assert holding.wait(10)
        assert refresh_pending() == 0 and OnlinePayment.objects.get().status == "pending"
    finally:
        done.set()
        thread.join()
    assert refresh_pending() == 1


@pytest.mark.parametrize(
    "amount", ["1e100", "-1e100", "1" * 400, "NaN", "sNaN", "Infinity", "-Infinity", "-0", "-0.00", "12.345", "1e-9"]
)
def test_amounts_that_are_no_sum_of_money_are_refused_at_the_field(db, yookassa, account, customer, amount):
    with pytest.raises(PaymentRefused) as refused:
        pay(customer, account, amount)
    assert refused.value.field == "amount"
    assert not OnlinePayment.objects.exists()


def test_a_second_press_returns_the_payment_the_first_began(db, yookassa, account, customer):
    first = pay(customer, account)
    again = pay(customer, account)
    assert again.pk == first.pk and len(yookassa.payments) == 1
    assert pay(customer, account, "1500.01").pk != first.pk, "another amount is another payment"
    age(first, minutes=6)
    assert pay(customer, account).pk != first.pk, "minutes later it is a new payment"


def test_a_second_press_after_no_answer_asks_again_for_the_first_payment(db, yookassa, account, customer):
    yookassa.script = [("status", 502)] * 3
    with pytest.raises(AcquirerUnavailable):
        pay(customer, account)
    again = pay(customer, account)
    assert again.status == "pending" and OnlinePayment.objects.count() == 1 and len(yookassa.payments) == 1


def test_a_billing_entry_of_another_payment_is_not_linked(db, yookassa, account, customer, sverdlovsk, caplog):
    payment = pay(customer, account)
    stranger = make_account(sverdlovsk, "660100000008", flat="8")
    Payment.objects.create(
        account=stranger,
        paid_on=timezone.localdate(),
        amount=Decimal("-3.00"),
        channel="online",
        source_id=payment.acquirer_id,
    )
    yookassa.succeed(payment.acquirer_id)
    with caplog.at_level(logging.ERROR):
        payment = check_payment(payment)
    assert payment.status == "succeeded" and payment.ledger_entry is None and payment.reconcile
    assert "ledger_mismatch" in payment.events.last().details and "not Kabinet's" in caplog.text


def test_a_cut_off_answer_is_asked_again_under_the_same_key(db, yookassa, account, customer):
    yookassa.script = [("truncated", 0)]
    payment = pay(customer, account)
    assert payment.status == "pending" and len(yookassa.payments) == 1 and len(yookassa.requests) == 2


def test_a_refund_made_in_the_dashboard_is_flagged(db, yookassa, account, customer, caplog):
    payment = pay(customer, account)
    yookassa.succeed(payment.acquirer_id)
    payment = check_payment(payment)
    _, outside = yookassa._new_refund(
        {"payment_id": payment.acquirer_id, "amount": {"value": "5.00", "currency": "RUB"}}
    )
    body = yookassa.notification("refund.succeeded", outside)
    with caplog.at_level(logging.ERROR):
        apply_notification(body)
        apply_notification(body)
    payment.refresh_from_db()
    assert payment.reconcile and "outside Kabinet" in caplog.text
    assert payment.events.filter(details__has_key="refund_outside_kabinet").count() == 1
    assert not Refund.objects.exists()
