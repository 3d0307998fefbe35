"""Asking the acquirer about one payment (the return page, the periodic task), and how often a
page may make Kabinet ask."""

import logging

from django.core.cache import cache

from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.errors import AcquirerRejected, AcquirerUnavailable, BadNotification
from kabinet.payments.models import OnlinePayment, PaymentEvent

logger = logging.getLogger(__name__)
Source = PaymentEvent.Source

# The acquirer asked about one payment at most this often on behalf of pages (the return page's
# script and «Обновить», the autopayment page, the API), however many are open.
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


def check_due(payment: OnlinePayment) -> bool:
    """True at most once every CHECK_EVERY_SECONDS per payment, whoever asks: a page left
    open, or many, never floods the acquirer (cache.add is atomic, in Redis too)."""
    return cache.add(f"payment-check:{payment.public_id}", 1, CHECK_EVERY_SECONDS)


def refresh_if_due(payment: OnlinePayment, source: str = Source.CHECK) -> OnlinePayment:
    """What a page calls: the payment as the acquirer says when it is still in progress and
    was not asked about in the last few seconds; else as Kabinet knows it."""
    if payment.in_progress and check_due(payment):
        return check_payment(payment, source)
    return payment
