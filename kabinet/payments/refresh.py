"""The periodic task's body: ask the acquirer about what has not finished, for when a
notification was lost (or, in the demo, never sent)."""

from datetime import timedelta
import logging

from django.utils import timezone

from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.checks import check_payment
from kabinet.payments.errors import AcquirerRejected, AcquirerUnavailable, BadNotification
from kabinet.payments.models import OnlinePayment, PaymentEvent, Refund
from kabinet.payments.refunds import send

logger = logging.getLogger(__name__)
TASK = PaymentEvent.Source.TASK
# A customer is still on ЮKassa's page for the first minutes: asking then only adds load.
ASK_AFTER = timedelta(minutes=3)
# A payment still `new` this long after it was begun died between our row and ЮKassa's answer;
# nobody got its confirmation page, so nobody can pay it.
ABANDON_NEW_AFTER = timedelta(hours=1)


def refresh_pending() -> int:
    """Ask about payments pending longer than a few minutes and unfinished refunds; payments
    and refunds whose state changed."""
    now = timezone.now()
    changed = 0
    unfinished = OnlinePayment.objects.exclude(status__in=OnlinePayment.FINAL).select_related("account")
    for payment in unfinished.filter(created_at__lt=now - ASK_AFTER).exclude(status=OnlinePayment.Status.NEW):
        changed += check_payment(payment, TASK).status != payment.status
    for payment in unfinished.filter(status=OnlinePayment.Status.NEW, created_at__lt=now - ABANDON_NEW_AFTER):
        states.give_up(payment, "kabinet_unavailable", TASK)
        changed += 1
    for refund in Refund.objects.filter(status=Refund.Status.PENDING).select_related("payment__account"):
        changed += _refresh_refund(refund).status != refund.status
    return changed


def _refresh_refund(refund: Refund) -> Refund:
    if not refund.acquirer_id:  # never reached the acquirer: send again, under the same key
        return send(refund, TASK)
    try:
        return states.apply_refund(refund, get_acquirer().get_refund(refund.acquirer_id), TASK)
    except (AcquirerUnavailable, AcquirerRejected, BadNotification) as exc:
        logger.warning("refund %s not checked: %s", refund.public_id, exc)
        return refund
