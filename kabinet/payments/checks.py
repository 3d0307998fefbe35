"""Asking the acquirer about one payment (the return page, the periodic task)."""

import logging

from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.errors import AcquirerRejected, AcquirerUnavailable, BadNotification
from kabinet.payments.models import OnlinePayment, PaymentEvent

logger = logging.getLogger(__name__)
Source = PaymentEvent.Source


def check_payment(payment: OnlinePayment, source: str = Source.CHECK) -> OnlinePayment:
    """Ask the acquirer and apply what it says. When it cannot be asked, or answers with
    something that is not this payment, the payment stays as it is (logged)."""
    if payment.is_final or not payment.acquirer_id:
        return payment
    try:
        obj = get_acquirer().get_payment(payment.acquirer_id)
        return states.apply_payment(payment, obj, source)
    except (AcquirerUnavailable, AcquirerRejected, BadNotification) as exc:
        logger.warning("payment %s not checked: %s", payment.public_id, exc)
        return payment
