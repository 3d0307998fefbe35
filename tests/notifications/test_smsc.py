"""The `http` SMS backend against a local server that speaks SMSC.ru's API."""

import pytest

from kabinet.notifications.models import Message
from kabinet.notifications.services import send_sms
from kabinet.notifications.sms import SmsError, get_backend
from kabinet.notifications.sms.http import ERRORS


def test_the_setting_routes_messages_to_the_gateway_instead_of_the_outbox(
    db, smsc, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_sms("+79120000001", "Код подтверждения: 123456")
    sent.refresh_from_db()
    assert (sent.status, sent.provider_id) == (Message.Status.SENT, "1001")
    assert [fields["mes"] for fields in smsc.received] == ["Код подтверждения: 123456"]
    assert not settings.KABINET_SMS_OUTBOX.exists(), "nothing written to the file outbox"

    settings.KABINET_SMS_BACKEND = "file"
    with django_capture_on_commit_callbacks(execute=True):
        send_sms("+79120000001", "Показания приняты")
    assert len(smsc.received) == 1, "the gateway got nothing more"
    assert "Показания приняты" in settings.KABINET_SMS_OUTBOX.read_text(encoding="utf-8")


def test_sends_the_documented_fields_and_returns_the_gateway_id(smsc):
    provider_id = get_backend().send("+79120000001", "Код подтверждения: 123456")
    assert provider_id == "1001"
    [fields] = smsc.received
    assert fields["phones"] == "79120000001"
    assert fields["mes"] == "Код подтверждения: 123456"  # Cyrillic arrives intact in UTF-8
    assert fields["charset"] == "utf-8"
    assert fields["fmt"] == "3"
    assert fields["sender"] == "Energo"


def test_wrong_credentials_are_a_permanent_error(smsc, settings):
    settings.KABINET_SMS_HTTP_PASSWORD = "wrong"
    with pytest.raises(SmsError) as error:
        get_backend().send("+79120000001", "текст")
    assert error.value.code == 2
    assert not error.value.retryable
    assert "неверный логин или пароль" in str(error.value)


@pytest.mark.parametrize(
    ("code", "retryable"),
    # Only money, a temporary IP block and too-frequent requests may pass by themselves.
    [(1, False), (2, False), (3, True), (4, True), (5, False), (6, False), (7, False), (8, False), (9, True)],
)
def test_every_documented_error_code(smsc, code, retryable):
    smsc.fail_with.append((200, {"error": "x", "error_code": code}))
    with pytest.raises(SmsError) as error:
        get_backend().send("+79120000001", "текст")
    assert (error.value.code, error.value.retryable) == (code, retryable)
    assert ERRORS[code][0] in str(error.value)


def test_an_unknown_error_code_is_retried(smsc):
    smsc.fail_with.append((200, {"error": "new trouble", "error_code": 42}))
    with pytest.raises(SmsError) as error:
        get_backend().send("+79120000001", "текст")
    assert error.value.retryable and "new trouble" in str(error.value)


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        ((503, b"busy"), True),
        ((500, b""), True),
        ((404, b"no such page"), False),
        ((200, b"<html>"), True),
        ((200, b"[1]"), True),
    ],
)
def test_http_trouble(smsc, answer, retryable):
    smsc.fail_with.append(answer)
    with pytest.raises(SmsError) as error:
        get_backend().send("+79120000001", "текст")
    assert error.value.retryable is retryable


def test_gateway_down_is_retryable(settings):
    settings.KABINET_SMS_BACKEND = "http"
    settings.KABINET_SMS_HTTP_URL = "http://127.0.0.1:9/sys/send.php"  # discard port: nobody listens
    with pytest.raises(SmsError) as error:
        get_backend().send("+79120000001", "текст")
    assert error.value.retryable
