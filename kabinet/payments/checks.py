"""Asking the acquirer about one payment (the return page, the periodic task)."""

import logging

from django.core.cache import cache

from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.errors import AcquirerRejected, AcquirerUnavailable, BadNotification
from kabinet.payments.models import OnlinePayment, PaymentEvent

logger = logging.getLogger(__name__)
Source = PaymentEvent.Source
# A page asks the acquirer about one payment at most this often, whoever asks (a script, a
# reload, «Обновить», many tabs): a page left open, or many, never floods it.
CHECK_EVERY_SECONDS = 3


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


def may_ask_now(payment: OnlinePayment) -> bool:
    """True at most once in CHECK_EVERY_SECONDS per payment (cache.add is atomic, in Redis too)."""
    return cache.add(f"payment-check:{payment.public_id}", 1, CHECK_EVERY_SECONDS)


def check_payment_throttled(payment: OnlinePayment, source: str = Source.CHECK) -> OnlinePayment:
    """check_payment for pages: a payment in progress is asked about at most once in a few seconds."""
    if payment.in_progress and may_ask_now(payment):
        return check_payment(payment, source)
    return payment
