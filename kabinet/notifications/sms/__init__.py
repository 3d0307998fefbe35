"""SMS backends. Each has `send(to, text) -> provider message id` and raises SmsError."""

from django.conf import settings
from django.utils.module_loading import import_string


class SmsError(Exception):
    """A send that failed. `retryable` says whether trying again later may succeed."""

    def __init__(self, message: str, *, retryable: bool, code: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.code = code


BACKENDS = {
    "file": "kabinet.notifications.sms.file.FileBackend",
    "console": "kabinet.notifications.sms.console.ConsoleBackend",
    "http": "kabinet.notifications.sms.http.SmscBackend",
}


def get_backend():
    name = settings.KABINET_SMS_BACKEND
    return import_string(BACKENDS.get(name, name))()
