"""Delivery tasks. A failed send is retried with back-off and logged; a message that
exhausts its retries stays in the log as failed, never silently lost.

With a broker, a retry is a Celery retry with a countdown. In the embedded (eager) mode a
retry would run inline and hold the customer's request, so the message stays queued with its
next attempt time, and `redeliver_due_messages` (`manage.py deliver_messages`) sends it later.
"""

from datetime import timedelta
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.utils import timezone

from kabinet.notifications.metrics import counted
from kabinet.notifications.models import Message
from kabinet.notifications.sms import SmsError, get_backend

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
# A worker holds a message this long while it sends; nobody else takes it meanwhile.
LEASE = timedelta(minutes=5)
# A Celery countdown may fire a moment before the time we wrote down.
EARLY = timedelta(seconds=5)
# With a broker, a message due this long ago lost its task (a broker or worker restart).
LOST_AFTER = timedelta(minutes=5)
SECRET_REMOVED = "[скрыто после отправки]"


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, … capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def _claim(message_id: int) -> Message | None:
    now = timezone.now()
    taken = Message.objects.filter(
        pk=message_id, status=Message.Status.QUEUED, next_attempt_at__lte=now + EARLY
    ).update(next_attempt_at=now + LEASE)
    return Message.objects.get(pk=message_id) if taken else None


def _deliver(message: Message) -> str:
    if message.channel == Message.Channel.SMS:
        return get_backend().send(message.to, message.body)
    if not message.attachment:
        send_mail(message.subject, message.body, None, [message.to])
        return ""
    email = EmailMessage(message.subject, message.body, None, [message.to])
    with message.attachment.open("rb") as file:
        email.attach(message.attachment_name, file.read(), message.attachment_type)
    email.send()
    return ""


def _finish(message: Message, status: str, fields: list[str]) -> None:
    message.status = status
    if message.secret and not settings.KABINET_KEEP_SECRET_MESSAGES:
        message.body = SECRET_REMOVED
        fields.append("body")
    message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at", *fields])


@shared_task(bind=True, max_retries=None)
def deliver_message(self, message_id: int) -> None:
    message = _claim(message_id)
    if message is None:
        return  # sent, failed, or another worker has it
    message.attempts += 1
    try:
        message.provider_id = _deliver(message)[:100]
    except Exception as exc:  # any failure is logged and, when it may pass, retried
        _failed(self, message, exc)
        return
    message.sent_at = timezone.now()
    message.last_error = ""
    _finish(message, Message.Status.SENT, ["provider_id", "sent_at"])
    counted(message.channel, "sent")


def _failed(task, message: Message, exc: Exception) -> None:
    retryable = getattr(exc, "retryable", not isinstance(exc, SmsError))
    message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    # The error's type only: a gateway's or SMTP server's text often names the phone or the
    # address (personal data); the whole text is in the message log, for the administrator.
    log.warning("delivery of message %s failed (attempt %s): %s", message.pk, message.attempts, type(exc).__name__)
    if not retryable or message.attempts >= MAX_ATTEMPTS:
        log.error("message %s given up after %s attempts", message.pk, message.attempts)
        _finish(message, Message.Status.FAILED, [])
        counted(message.channel, "failed")
        return
    counted(message.channel, "retry")
    delay = backoff(message.attempts)
    message.next_attempt_at = timezone.now() + delay
    message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
    if not task.request.is_eager:
        raise task.retry(exc=exc, countdown=delay.total_seconds())


@shared_task
def redeliver_due_messages() -> int:
    """Send queued messages whose attempt is due and that no task is going to send: retries
    in the eager mode, and messages whose task was lost."""
    grace = timedelta(0) if settings.CELERY_TASK_ALWAYS_EAGER else LOST_AFTER
    due = list(
        Message.objects.filter(status=Message.Status.QUEUED, next_attempt_at__lte=timezone.now() - grace).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in due:
        deliver_message.delay(pk)
    return len(due)


def send_again(message: Message) -> bool:
    """An administrator's «Отправить повторно» for a failed message: a fresh set of attempts.
    A message whose secret was blanked cannot be sent again (the customer asks for a new code)."""
    if message.body == SECRET_REMOVED:
        return False
    updated = Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
        status=Message.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
    )
    if updated:
        deliver_message.delay(message.pk)
    return bool(updated)
