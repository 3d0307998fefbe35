"""E-mail with a file (a bill): the log keeps its own copy in private storage; every attempt,
and «Отправить повторно», sends exactly that file."""

from django.core import mail
import pytest

from kabinet.notifications.models import Message
from kabinet.notifications.services import Attachment, send_email
from kabinet.notifications.tasks import deliver_message, send_again
from tests.factories import stored_bytes

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% a bill\n%%EOF\n"


def test_an_attachment_is_logged_and_sent_after_commit(mailbox):
    message = send_email(
        "anna@example.ru",
        "Квитанция",
        "Во вложении квитанция.",
        attachment=Attachment("kvitanciya.pdf", PDF, "application/pdf"),
    )
    assert mail.outbox == [], "nothing goes out before commit"
    message.refresh_from_db()
    assert message.attachment_name == "kvitanciya.pdf"
    assert message.attachment_type == "application/pdf"
    assert stored_bytes(message.attachment.name) == PDF, "in the private storage, under a name saying nothing"
    assert "kvitanciya" not in message.attachment.name

    sent = mailbox()
    assert len(sent) == 1
    assert sent[0].to == ["anna@example.ru"]
    assert sent[0].body == "Во вложении квитанция."
    assert sent[0].attachments[0][:3] == ("kvitanciya.pdf", PDF, "application/pdf")
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_sending_again_sends_the_same_file(mailbox, monkeypatch):
    message = send_email(
        "anna@example.ru", "Квитанция", "Текст", attachment=Attachment("k.pdf", PDF, "application/pdf")
    )
    monkeypatch.setattr("kabinet.notifications.tasks.EmailMessage.send", lambda self: 1 / 0)
    mailbox()
    for _ in range(6):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
        deliver_message.delay(message.pk)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    monkeypatch.undo()
    assert send_again(message)
    assert mailbox()[-1].attachments[0][1] == PDF


def test_plain_e_mail_still_has_no_attachment(mailbox):
    message = send_email("anna@example.ru", "Тема", "Текст")
    assert mailbox()[0].attachments == []
    message.refresh_from_db()
    assert not message.attachment
