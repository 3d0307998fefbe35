"""What can go wrong with an online payment, as the pages and the API need to tell it."""

UNAVAILABLE = "Оплата временно недоступна. Попробуйте позже или оплатите по квитанции."


class PaymentRefused(Exception):
    """The payment cannot be made as asked; `field` is the form field to show `message` at."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class AcquirerUnavailable(Exception):
    """The acquirer did not answer (timeouts, 5xx, no connection) after the retries, or no
    acquirer is configured."""

    def __init__(self, message: str = UNAVAILABLE, detail: str = ""):
        super().__init__(detail or message)
        self.message = message
        self.detail = detail


class BalancesBusy(AcquirerUnavailable):
    """A success cannot be recorded now: an import is rebuilding the month balances (minutes).
    Handled like an acquirer that did not answer: nothing is changed, the notification gets 503
    (ЮKassa sends it again) and the periodic task asks later."""


class AcquirerRejected(Exception):
    """The acquirer answered 4xx: the request is wrong (or the credentials); a retry would not help."""

    def __init__(self, status: int, code: str = "", description: str = ""):
        super().__init__(f"HTTP {status} {code}: {description}")
        self.status, self.code, self.description = status, code, description


class AcquirerNotFound(AcquirerRejected):
    """404: the acquirer knows no such payment or refund."""


class BadNotification(Exception):
    """An HTTP notification that names nothing real, or whose object does not match ours."""
