"""Several deliveries of the same outcome at the same moment (a notification, its repeat, the
return page's check, the task) and two refunds at once: counted once (PostgreSQL row locks)."""

from decimal import Decimal
import threading
import time
import uuid

from django.db import connection, transaction
import pytest

from kabinet.billing.balances import MONTH_BALANCES_LOCK
from kabinet.billing.models import Payment
from kabinet.payments import ledger, states
from kabinet.payments.errors import PaymentRefused
from kabinet.payments.incoming import apply_notification
from kabinet.payments.models import OnlinePayment, Refund
from kabinet.payments.services import check_payment, refund, start_payment
from tests.factories import in_threads

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


def started(customer, account):
    return start_payment(
        user=customer,
        account=account,
        amount=Decimal("700.00"),
        method="sbp",
        receipt_email="a@example.ru",
        return_url="/",
    )


@pytest.mark.django_db(transaction=True)
def test_simultaneous_notifications_and_checks_record_one_payment(yookassa, account, customer):
    payment = started(customer, account)
    body = yookassa.notification("payment.succeeded", yookassa.succeed(payment.acquirer_id))

    def deliver(i):
        if i % 2:
            return apply_notification(body)
        return check_payment(OnlinePayment.objects.get(pk=payment.pk)).status

    results = in_threads(6, deliver)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Payment.objects.count() == 1
    assert list(payment.events.values_list("new_status", flat=True)) == ["pending", "succeeded"]


@pytest.mark.django_db(transaction=True)
def test_two_refunds_at_once_never_exceed_the_payment(yookassa, account, customer):
    payment = started(customer, account)
    yookassa.succeed(payment.acquirer_id)
    payment = check_payment(payment)
    results = in_threads(
        2, lambda i: refund(payment=payment, amount=Decimal("500.00"), reason="Ошибка", staff_user=None)
    )
    assert sum(isinstance(r, PaymentRefused) for r in results) == 1
    assert Refund.objects.count() == 1 and len(yookassa.refunds) == 1


@pytest.mark.django_db(transaction=True)
def test_two_presses_at_once_make_one_payment(yookassa, account, customer):
    results = in_threads(2, lambda i: started(customer, account).pk)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1 and OnlinePayment.objects.count() == 1 and len(yookassa.payments) == 1


@pytest.mark.django_db(transaction=True)
def test_the_task_giving_up_while_a_notification_arrives_raises_nothing(yookassa, account, customer):
    payment = OnlinePayment.objects.create(
        account=account, user=customer, amount=Decimal("700.00"), method="sbp", receipt_email="a@example.ru"
    )
    obj = yookassa._new_payment(
        {
            "amount": {"value": "700.00", "currency": "RUB"},
            "payment_method_data": {"type": "sbp"},
            "confirmation": {"type": "redirect", "return_url": "/"},
            "metadata": {"kabinet_payment": str(payment.public_id)},
            "receipt": {},
        }
    )[1]
    body = yookassa.notification("payment.succeeded", yookassa.succeed(obj["id"]))

    def race(i):
        if i:
            return apply_notification(body)
        return states.give_up(payment, "kabinet_unavailable", "task").status

    results = in_threads(2, race)
    assert not [r for r in results if isinstance(r, Exception)], results
    payment.refresh_from_db()
    assert payment.status == "succeeded" and Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_success_during_an_import_gets_503_at_once_and_counts_later(yookassa, account, customer, client, monkeypatch):
    monkeypatch.setattr(ledger, "LOCK_WAIT", 0.3)
    payment = started(customer, account)
    body = yookassa.notification("payment.succeeded", yookassa.succeed(payment.acquirer_id))
    holding, done = threading.Event(), threading.Event()

    def an_import():  # an import's rebuild holds the month balances' lock for its transaction
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MONTH_BALANCES_LOCK])
            holding.set()
            done.wait(30)
        connection.close()

    thread = threading.Thread(target=an_import)
    thread.start()
    try:
        assert holding.wait(10)
        began = time.monotonic()
        answer = client.post("/payments/notifications/", data=body, content_type="application/json")
        waited = time.monotonic() - began
        assert answer.status_code == 503 and waited < 2, waited
        assert check_payment(OnlinePayment.objects.get(pk=payment.pk)).status == "pending"
    finally:
        done.set()
        thread.join()
    assert client.post("/payments/notifications/", data=body, content_type="application/json").status_code == 200
    assert OnlinePayment.objects.get(pk=payment.pk).status == "succeeded" and Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_refund_form_sent_several_times_at_once_makes_one_refund(yookassa, account, customer):
    """A double click reaching two app servers: the same one-time key, one refund for all."""
    payment = started(customer, account)
    yookassa.succeed(payment.acquirer_id)
    payment = check_payment(payment)
    key = uuid.uuid4()
    results = in_threads(
        4,
        lambda i: refund(payment=payment, amount=Decimal("100.00"), reason="Ошибка", staff_user=None, public_id=key),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {r.pk for r in results} == {Refund.objects.get().pk} and len(yookassa.refunds) == 1
