"""Delivery after commit, retries with back-off, the give-up rule, blanking of secrets."""

from datetime import timedelta
import logging
import socketserver
import threading

from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.notifications.models import Message
from kabinet.notifications.services import send_email, send_sms
from kabinet.notifications.tasks import MAX_ATTEMPTS, SECRET_REMOVED, backoff, deliver_message, send_again
from tests.factories import registration_data

pytestmark = pytest.mark.django_db


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def test_nothing_is_sent_before_commit(smsc, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_sms("+79120000001", "текст")
        assert smsc.received == []
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_id == "1001"
    assert message.attempts == 1


def test_a_failed_send_stays_queued_with_its_error_and_is_sent_later(smsc, django_capture_on_commit_callbacks):
    smsc.fail_with.append((503, b"busy"))
    with django_capture_on_commit_callbacks(execute=True):
        message = send_sms("+79120000001", "текст")
    message.refresh_from_db()
    # Eager mode: no retry inline (it would hold the customer's request); due in 30 s.
    assert message.status == Message.Status.QUEUED
    assert "HTTP 503" in message.last_error
    assert message.attempts == 1
    assert timedelta(seconds=25) < message.next_attempt_at - timezone.now() <= timedelta(seconds=30)

    call_command("deliver_messages")
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED, "not due yet: nothing happens"
    assert message.attempts == 1

    make_due(message)
    call_command("deliver_messages")
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 2
    assert message.last_error == ""
    assert len(smsc.received) == 1


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(20) == timedelta(hours=1)


def test_a_permanent_error_fails_at_once(smsc, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_sms("12345", "текст")  # the gateway answers error_code 7
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "код 7" in message.last_error
    assert message.attempts == 1


def test_gives_up_after_max_attempts(smsc, django_capture_on_commit_callbacks):
    smsc.fail_with.extend([(503, b"")] * MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        message = send_sms("+79120000001", "текст")
    for _ in range(MAX_ATTEMPTS - 1):
        make_due(message)
        call_command("deliver_messages")
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.attempts == MAX_ATTEMPTS
    assert smsc.received == []


def test_a_message_held_by_a_worker_is_not_sent_twice(smsc):
    message = send_sms("+79120000001", "текст")
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=4))
    deliver_message.delay(message.pk)
    assert smsc.received == []


def test_a_sent_message_is_never_sent_again(smsc, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_sms("+79120000001", "текст")
    deliver_message.delay(message.pk)
    make_due(message)
    call_command("deliver_messages")
    assert len(smsc.received) == 1


def test_secrets_are_blanked_once_sent(smsc, settings, django_capture_on_commit_callbacks):
    settings.KABINET_KEEP_SECRET_MESSAGES = False
    with django_capture_on_commit_callbacks(execute=True):
        code = send_sms("+79120000001", "Код: 123456", secret=True)
        plain = send_sms("+79120000001", "Обращение зарегистрировано")
    code.refresh_from_db()
    plain.refresh_from_db()
    assert smsc.received[0]["mes"] == "Код: 123456"
    assert code.body == SECRET_REMOVED
    assert plain.body == "Обращение зарегистрировано"


def test_demo_keeps_secrets_for_the_outbox(smsc, settings, django_capture_on_commit_callbacks):
    settings.KABINET_KEEP_SECRET_MESSAGES = True
    with django_capture_on_commit_callbacks(execute=True):
        code = send_sms("+79120000001", "Код: 123456", secret=True)
    code.refresh_from_db()
    assert code.body == "Код: 123456"


def test_email_goes_through_djangos_backend(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_email("anna@example.ru", "Тема", "Текст письма")
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [(["anna@example.ru"], "Тема", "Текст письма")]


def test_send_again_only_for_failed_messages_with_their_text(smsc, settings, django_capture_on_commit_callbacks):
    settings.KABINET_KEEP_SECRET_MESSAGES = False
    with django_capture_on_commit_callbacks(execute=True):
        failed = send_sms("12345", "Показания приняты")
        secret = send_sms("12345", "Код: 123456", secret=True)
        sent = send_sms("+79120000001", "текст")
    for message in (failed, secret, sent):
        message.refresh_from_db()
    assert send_again(sent) is False
    assert send_again(secret) is False  # its code was blanked; the customer asks for a new one
    smsc.fail_with.clear()
    Message.objects.filter(pk=failed.pk).update(to="+79120000002")
    failed.refresh_from_db()
    assert send_again(failed) is True
    failed.refresh_from_db()
    assert failed.status == Message.Status.SENT
    assert failed.attempts == 1


def test_admin_action_send_again(admin_client, smsc, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        failed = send_sms("12345", "Показания приняты")
    Message.objects.filter(pk=failed.pk).update(to="+79120000002")
    response = admin_client.post(
        reverse("admin:notifications_message_changelist"),
        {"action": "send_again", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "Поставлено в очередь повторно: 1." in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == Message.Status.SENT


def test_registration_code_reaches_the_real_gateway_api(client, account, smsc, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:register"), registration_data(account.region))
    [fields] = smsc.received
    assert fields["phones"] == "79121112233"
    assert "Код для регистрации" in fields["mes"]


@pytest.mark.django_db(transaction=True)
def test_a_request_s_messages_go_out_after_its_answer(outbox):
    """Served as runserver and gunicorn serve it (kabinet.wsgi), a page that sends an SMS answers
    first; the delivery (in-process without a broker) runs when the server closes the response."""
    from django.http import HttpResponse

    from kabinet.core.after_response import wsgi
    from kabinet.notifications.services import send_sms

    def page(environ, start_response):
        send_sms("+79120000001", "Код для входа: 123456")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return HttpResponse("готово")

    body = wsgi(page)({}, lambda status, headers: None)
    assert outbox.messages() == []
    body.close()
    assert [m["to"] for m in outbox.messages()] == ["+79120000001"]


class RefusingSmtp(socketserver.StreamRequestHandler):
    """An SMTP server that refuses every recipient, naming it, as real ones do."""

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        for line in self.rfile:
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == b"RCPT":
                address = line.split(b":", 1)[1].strip()
                self.wfile.write(b"550 5.1.1 " + address + b": user unknown\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_a_refused_address_stays_out_of_the_logs(settings, caplog, django_capture_on_commit_callbacks):
    """The server's refusal names the address: kept in the message log for the administrator,
    never written to the application log (issue 15: no personal data in logs)."""
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), RefusingSmtp) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address
        with django_capture_on_commit_callbacks(execute=True):
            message = send_email("anna@example.ru", "Тема", "Текст письма")
        server.shutdown()
    message.refresh_from_db()
    assert "anna@example.ru" in message.last_error
    assert "SMTPRecipientsRefused" in caplog.text
    assert "anna@example.ru" not in caplog.text


@pytest.mark.django_db
def test_queuing_a_message_logs_its_number_not_its_address(caplog):
    """The app's line that joins a page to the worker's delivery (by the request id): the
    message's number only, never the phone or the text."""
    with caplog.at_level(logging.INFO, logger="kabinet.notifications"):
        message = send_sms("+79120000042", "Код 4711", secret=True)
    assert f"message {message.pk} queued (sms)" in caplog.text
    assert "79120000042" not in caplog.text and "4711" not in caplog.text
