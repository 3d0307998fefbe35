"""The periodic task's body: ask the acquirer about what has not finished, for when a
notification was lost (or, in the demo, never sent), or our request got no answer."""

from collections.abc import Iterator
from datetime import timedelta
import logging
from pathlib import Path
import tempfile
import zlib

from django.conf import settings
from django.utils import timezone

from kabinet.core.single_run import only_one
from kabinet.payments import states
from kabinet.payments.acquirer import get_acquirer
from kabinet.payments.checks import check_payment
from kabinet.payments.creation import KEY_LIFETIME, create_at_acquirer
from kabinet.payments.errors import AcquirerRejected, AcquirerUnavailable, BadNotification
from kabinet.payments.models import OnlinePayment, PaymentEvent, Refund
from kabinet.payments.refunds import send

logger = logging.getLogger(__name__)
TASK = PaymentEvent.Source.TASK
S = OnlinePayment.Status
# A customer is still on ЮKassa's page for the first minutes: asking then only adds load. A
# payment still `new` this long after it was begun may still be in its first request.
ASK_AFTER = timedelta(minutes=3)
RUN_LOCK = zlib.crc32(b"payments:refresh-pending")


def refresh_pending() -> int:
    """Ask about payments unfinished for more than a few minutes and unfinished refunds;
    payments and refunds whose state changed. One run at a time (a run still at work when beat
    starts the next makes the next return 0 at once); one item that fails is logged and the
    run goes on."""
    with _only_run() as alone:
        if not alone:
            logger.info("refresh_pending: another run is at work")
            return 0
        return sum(_each(work, item) for work, item in _work())


def _work() -> Iterator:
    asked_before = timezone.now() - ASK_AFTER
    unfinished = OnlinePayment.objects.filter(status__in=OnlinePayment.OPEN, created_at__lt=asked_before)
    for payment in unfinished.select_related("account"):
        yield (_refresh_new if payment.status == S.NEW else _refresh_payment), payment
    for refund in Refund.objects.filter(status=Refund.Status.PENDING, reconcile=False).select_related("payment"):
        yield _refresh_refund, refund


def _each(work, item) -> bool:
    try:
        return work(item).status != item.status
    except Exception:  # one payment's trouble (a race, a bug) must not keep the rest unasked
        logger.exception("refresh_pending: %s %s failed", type(item).__name__, item.public_id)
        return False


def _refresh_payment(payment: OnlinePayment) -> OnlinePayment:
    return check_payment(payment, TASK)


def _refresh_new(payment: OnlinePayment) -> OnlinePayment:
    """Our creation request got no answer: send it again under the same key while ЮKassa keeps
    the key (it then answers with the payment if the first attempt created it); after that,
    or for a payment begun before requests were kept, give it up. Should ЮKassa have charged
    it after all, its success still arrives and is recorded (states.apply_payment)."""
    if not payment.create_request or timezone.now() - payment.created_at > KEY_LIFETIME:
        return states.give_up(payment, "kabinet_unavailable", TASK, {"error": "no answer while the key lived"})
    try:
        return create_at_acquirer(payment, TASK)
    except AcquirerUnavailable as exc:
        logger.warning("payment %s not created yet: %s", payment.public_id, exc.detail)
        return OnlinePayment.objects.get(pk=payment.pk)


def _refresh_refund(refund: Refund) -> Refund:
    if not refund.acquirer_id:  # never reached the acquirer: send again, under the same key
        if timezone.now() - refund.created_at > KEY_LIFETIME:
            return _to_reconcile(refund)
        return send(refund, TASK)
    try:
        return states.apply_refund(refund, get_acquirer().get_refund(refund.acquirer_id), TASK)
    except (AcquirerUnavailable, AcquirerRejected, BadNotification) as exc:
        logger.warning("refund %s not checked: %s", refund.public_id, exc)
        return refund


def _to_reconcile(refund: Refund) -> Refund:
    """ЮKassa forgets the key after 24 hours: a request sent again then could refund twice.
    Nothing is sent any more; a person checks the dashboard (flag and event in /admin/)."""
    logger.error("refund %s never reached ЮKassa while its key lived: reconcile by hand", refund.public_id)
    # set-based: not shown (a refund's flag)
    Refund.objects.filter(pk=refund.pk).update(reconcile=True, updated_at=timezone.now())
    details = {"reconcile": "no answer from ЮKassa within 23 h; not sent again, check the dashboard"}
    PaymentEvent.objects.create(
        payment=refund.payment,
        refund=refund,
        old_status=refund.status,
        new_status=refund.status,
        source=TASK,
        details=details,
    )
    refund.reconcile = True
    return refund


def _only_run():
    """One run at a time, on any host (core.single_run)."""
    name = zlib.crc32(str(settings.DATABASES["default"]["NAME"]).encode())
    return only_one(RUN_LOCK, Path(tempfile.gettempdir()) / f"kabinet-refresh-payments-{name}.lock")
