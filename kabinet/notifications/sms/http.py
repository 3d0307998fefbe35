"""SMSC.ru (https://smsc.ru/api/http/), one of the gateways most used in Russia.

One HTTP POST to `send.php` per message, answered in JSON (`fmt=3`):
`{"id": 123, "cnt": 1}` on success, `{"error": "...", "error_code": N}` on failure.
"""

import json
import logging
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kabinet.notifications.sms import SmsError

log = logging.getLogger(__name__)

# The gateway's documented error codes of send.php, and whether a later attempt may succeed.
ERRORS: dict[int, tuple[str, bool]] = {
    1: ("ошибка в параметрах", False),
    2: ("неверный логин или пароль, или запрос с недопустимого IP-адреса", False),
    # The account is topped up by people, usually within the hours the retries span.
    3: ("недостаточно средств на счете клиента", True),
    4: ("IP-адрес временно заблокирован из-за частых ошибок в запросах", True),
    5: ("неверный формат даты", False),
    6: ("сообщение запрещено (по тексту или по имени отправителя)", False),
    7: ("неверный формат номера телефона", False),
    8: ("сообщение на указанный номер не может быть доставлено", False),
    9: ("слишком много одинаковых запросов за минуту", True),
}


class SmscBackend:
    """Sends through SMSC.ru's HTTP API with the credentials from KABINET_SMS_HTTP_*."""

    def __init__(self) -> None:
        self.url = settings.KABINET_SMS_HTTP_URL
        if not self.url.startswith(("https://", "http://")):
            raise ImproperlyConfigured("KABINET_SMS_HTTP_URL must be an http(s) URL")
        self.timeout = settings.KABINET_SMS_HTTP_TIMEOUT
        self.credentials = {
            "login": settings.KABINET_SMS_HTTP_LOGIN,
            "psw": settings.KABINET_SMS_HTTP_PASSWORD,
        }
        self.sender = settings.KABINET_SMS_HTTP_SENDER

    def send(self, to: str, text: str) -> str:
        fields = {**self.credentials, "phones": to.lstrip("+"), "mes": text, "charset": "utf-8", "fmt": 3}
        if self.sender:
            fields["sender"] = self.sender
        answer = self._post(fields)
        if "error_code" in answer:
            raise _error(answer)
        if "id" not in answer:
            raise SmsError(f"SMSC: неожиданный ответ {answer!r:.200}", retryable=True)
        return str(answer["id"])

    def _post(self, fields: dict) -> dict:
        request = Request(  # noqa: S310 - the scheme is checked in __init__
            self.url,
            data=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - scheme checked
                body = response.read()
        except HTTPError as exc:
            # 5xx is the gateway's trouble and may pass; 4xx means our request is wrong.
            raise SmsError(f"SMSC: HTTP {exc.code}", retryable=exc.code >= 500) from exc
        except (URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"SMSC недоступен: {exc}", retryable=True) from exc
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise SmsError(f"SMSC: ответ не JSON: {body[:200]!r}", retryable=True) from exc
        if not isinstance(answer, dict):
            raise SmsError(f"SMSC: неожиданный ответ {answer!r:.200}", retryable=True)
        return answer


def _error(answer: dict) -> SmsError:
    code = int(answer["error_code"])
    meaning, retryable = ERRORS.get(code, (str(answer.get("error", "неизвестная ошибка")), True))
    log.warning("SMSC refused a message: code %s (%s)", code, answer.get("error", ""))
    return SmsError(f"SMSC, код {code}: {meaning}", retryable=retryable, code=code)
