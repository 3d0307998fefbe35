"""Several deliveries of the same outcome at the same moment (a notification, its repeat, the
return page's check, the task) and two refunds at once: counted once (PostgreSQL row locks)."""

from decimal import Decimal
import uuid

from django.db import connection
import pytest

from kabinet.billing.models import Payment
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
