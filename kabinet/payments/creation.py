"""Creating a payment at the acquirer, and asking again for one whose creation got no answer.

The request is saved before it is sent and sent again byte for byte under the same
Idempotence-Key (the payment's public_id): ЮKassa then answers with the payment the first
attempt created, if it did, and creates it otherwise. ЮKassa keeps a key for 24 hours."""

from datetime import timedelta
import logging

from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.errors import AcquirerRejected, AcquirerUnavailable
from kabinet.payments.models import OnlinePayment

logger = logging.getLogger(__name__)
# Within this time from the first request the same key finds ЮKassa's payment again; later,
# the same request could create a second one (and charge a saved card twice).
KEY_LIFETIME = timedelta(hours=23)
# Our credentials or the shop's settings are wrong: ЮKassa looked at nothing, so the request
# says nothing about whether an earlier attempt created the payment.
NOT_LOOKED_AT = (401, 403)


def create_at_acquirer(payment: OnlinePayment, source: str) -> OnlinePayment:
    """Send the payment's saved creation request and apply the answer. AcquirerUnavailable
    when ЮKassa did not answer: the payment stays `new`, for a timed-out attempt may have
    created it (refresh_pending asks again). When ЮKassa refused the request, it created
    nothing: the payment is cancelled (kabinet_unavailable) and AcquirerUnavailable tells the
    customer."""
    try:
        obj = get_acquirer().create_payment(payment.create_request, str(payment.public_id))
    except AcquirerRejected as exc:
        logger.error("ЮKassa refused payment %s: %s", payment.public_id, exc)
        if exc.status in NOT_LOOKED_AT:
            raise AcquirerUnavailable(detail=str(exc)) from exc
        states.give_up(payment, "kabinet_unavailable", source, {"error": str(exc)})
        raise AcquirerUnavailable(detail=str(exc)) from exc
    return states.apply_payment(payment, obj, source)
