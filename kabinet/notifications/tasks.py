"""Delivery tasks. A failed send is retried with back-off and logged; a message that
exhausts its retries stays in the log as failed, never silently lost."""

from datetime import timedelta
import logging

from celery import shared_task
from django.core.mail import send_mail
from django.utils import timezone

from kabinet.notifications.models import Message
from kabinet.notifications.sms import SmsError, get_backend

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6


def _deliver(message: Message) -> str:
    if message.channel == Message.Channel.SMS:
        return get_backend().send(message.to, message.body)
    send_mail(message.subject, message.body, None, [message.to])
    return ""


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1)
def deliver_message(self, message_id: int) -> None:
    message = Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).first()
    if message is None:
        return
    message.attempts += 1
    try:
        message.provider_id = _deliver(message)[:100]
    except Exception as exc:  # any failure is logged and, when it may pass, retried
        retryable = getattr(exc, "retryable", not isinstance(exc, SmsError))
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        final = not retryable or message.attempts >= MAX_ATTEMPTS
        if final:
            message.status = Message.Status.FAILED
        message.save(update_fields=["attempts", "last_error", "status"])
        log.warning("delivery of message %s failed (attempt %s): %s", message.pk, message.attempts, exc)
        if not final:
            raise self.retry(exc=exc, countdown=min(30 * 2 ** (message.attempts - 1), 3600)) from exc
        return
    message.status = Message.Status.SENT
    message.sent_at = timezone.now()
    message.save(update_fields=["attempts", "provider_id", "status", "sent_at", "last_error"])


@shared_task
def redeliver_stuck_messages() -> int:
    """Queued messages whose task was lost (a broker or worker restart) are sent again."""
    stale = Message.objects.filter(
        status=Message.Status.QUEUED, created_at__lt=timezone.now() - timedelta(minutes=15)
    ).values_list("pk", flat=True)[:500]
    for pk in stale:
        deliver_message.delay(pk)
    return len(stale)
