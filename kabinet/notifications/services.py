"""Sending SMS and e-mail: record the message, deliver it in the background after commit."""

from django.db import transaction

from kabinet.notifications.models import Message


def _enqueue(message: Message) -> Message:
    from kabinet.notifications.tasks import deliver_message

    # After commit: a code for a registration that rolled back must never go out, and the
    # worker must be able to see the row it is asked to deliver.
    transaction.on_commit(lambda: deliver_message.delay(message.pk))
    return message


def send_sms(to: str, text: str, *, secret: bool = False) -> Message:
    """`secret`: the text holds a code or a one-time link, blanked in the log once sent."""
    return _enqueue(Message.objects.create(channel=Message.Channel.SMS, to=to, body=text, secret=secret))


def send_email(to: str, subject: str, body: str, *, secret: bool = False) -> Message:
    return _enqueue(
        Message.objects.create(channel=Message.Channel.EMAIL, to=to, subject=subject, body=body, secret=secret)
    )
