"""Payment and refund states: one place, row-locked, one event per change, final means final."""

from decimal import Decimal

import pytest

from kabinet.billing.models import Payment
from kabinet.payments import states
from kabinet.payments.errors import BadNotification
from kabinet.payments.models import OnlinePayment, PaymentEvent, Refund

S = OnlinePayment.Status


@pytest.fixture
def payment(account, customer):
    return OnlinePayment.objects.create(account=account, user=customer, amount=Decimal("100.00"), method="bank_card")


def remote(payment, status, **fields):
    return {
        "id": "2f3c6a99-000f-5000-9000-1d2a3b4c5d6e",
        "status": status,
        "amount": {"value": "100.00", "currency": "RUB"},
        "metadata": {"kabinet_payment": str(payment.public_id)},
        **fields,
    }


def test_the_legal_path_writes_an_event_per_change(payment):
    states.move(payment, S.PENDING, "customer")
    states.move(payment, S.SUCCEEDED, "notification", {"captured_at": "2026-03-01T10:00:00Z"}, acquirer_id="a1")
    events = list(PaymentEvent.objects.values_list("old_status", "new_status", "source"))
    assert events == [("new", "pending", "customer"), ("pending", "succeeded", "notification")]
    assert Payment.objects.get().source_id == "a1"


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], S.SUCCEEDED),  # success only from pending or waiting_for_capture
        ([S.PENDING, S.SUCCEEDED], S.CANCELED),  # final never changes
        ([S.PENDING, S.CANCELED], S.SUCCEEDED),
        ([S.PENDING, S.CANCELED], S.PENDING),
        ([S.PENDING], S.NEW),
    ],
)
def test_illegal_transitions_are_refused(payment, path, illegal):
    for status in path:
        payment = states.move(payment, status, "check", acquirer_id="a1")
    with pytest.raises(states.IllegalTransition):
        states.move(payment, illegal, "check")
    assert OnlinePayment.objects.get().status == (path[-1] if path else S.NEW)


def test_a_final_payment_ignores_what_the_acquirer_says_later(payment):
    states.apply_payment(payment, remote(payment, "pending"), "customer")
    paid = states.apply_payment(payment, remote(payment, "succeeded"), "notification")
    again = states.apply_payment(paid, remote(payment, "canceled"), "check")
    assert again.status == S.SUCCEEDED and Payment.objects.count() == 1
    assert PaymentEvent.objects.count() == 2


def test_success_straight_from_new_passes_through_pending(payment):
    """An answer that is already succeeded (a saved card, say) is still two recorded steps."""
    states.apply_payment(payment, remote(payment, "succeeded", captured_at="2026-03-01T10:00:00Z"), "autopayment")
    assert list(PaymentEvent.objects.values_list("new_status", flat=True)) == ["pending", "succeeded"]


def test_an_object_of_another_payment_is_refused(payment, account, customer):
    other = OnlinePayment.objects.create(account=account, user=customer, amount=Decimal("100.00"), method="sbp")
    with pytest.raises(BadNotification):
        states.apply_payment(payment, remote(other, "succeeded"), "notification")
    with pytest.raises(BadNotification):
        states.apply_payment(payment, remote(payment, "succeeded", amount={"value": "100.00", "currency": "USD"}), "x")
    assert not PaymentEvent.objects.exists()


def test_refund_states(payment):
    states.apply_payment(payment, remote(payment, "pending"), "customer")
    paid = states.apply_payment(payment, remote(payment, "succeeded"), "notification")
    refund = Refund.objects.create(payment=paid, amount=Decimal("40.00"), reason="Ошибка")
    done = states.move_refund(refund, Refund.Status.SUCCEEDED, "staff", acquirer_id="r1")
    assert done.ledger_entry.amount == Decimal("-40.00")
    with pytest.raises(states.IllegalTransition):
        states.move_refund(done, Refund.Status.CANCELED, "staff")
