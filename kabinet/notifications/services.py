"""Sending SMS and e-mail: record the message, deliver it in the background after commit."""

from dataclasses import dataclass
import logging

from django.core.files.base import ContentFile
from django.db import transaction

from kabinet.core.after_response import later
from kabinet.notifications.models import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail: the name the recipient sees, the bytes, the MIME type."""

    name: str
    content: bytes
    mimetype: str


def _enqueue(message: Message) -> Message:
    from kabinet.notifications.tasks import deliver_message

    # After commit: a code for a registration that rolled back must never go out, and the
    # worker must be able to see the row it is asked to deliver. After the response, too:
    # without a broker the task runs in this process, and a slow gateway must not hold the
    # customer's page (nor show, in its time, whether a phone or an address is a customer's).
    transaction.on_commit(lambda: later(deliver_message.delay, message.pk))
    # With the request id: joins the page that caused a message to the worker's delivery of it.
    # The number only: the address and text are personal data (the message log has them).
    log.info("message %s queued (%s)", message.pk, message.channel)
    return message


def send_sms(to: str, text: str, *, secret: bool = False) -> Message:
    """`secret`: the text holds a code or a one-time link, blanked in the log once sent."""
    return _enqueue(Message.objects.create(channel=Message.Channel.SMS, to=to, body=text, secret=secret))


def send_email(
    to: str, subject: str, body: str, *, secret: bool = False, attachment: Attachment | None = None
) -> Message:
    """`attachment`: one file, stored with the logged message and sent with every attempt."""
    message = Message(channel=Message.Channel.EMAIL, to=to, subject=subject, body=body, secret=secret)
    if attachment is not None:
        message.attachment_name = attachment.name
        message.attachment_type = attachment.mimetype
        message.attachment.save(attachment.name, ContentFile(attachment.content), save=False)
    message.save()
    return _enqueue(message)
