"""Messages the portal's code pages share."""

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format

from kabinet.core.wording import locked_message
from kabinet.identity import codes


def throttled_message(retry_at: datetime) -> str:
    return f"Новый код можно будет запросить после {date_format(timezone.localtime(retry_at), 'H:i:s')}."


def code_error(check: codes.Check) -> str:
    result = check.result
    if result is codes.CheckResult.WRONG:
        return f"Неверный код. Осталось попыток: {check.attempts_left}."
    if result is codes.CheckResult.EXPIRED:
        return "Срок действия кода истёк (10 минут). Нажмите «Отправить код повторно»."
    if result is codes.CheckResult.EXHAUSTED:
        return "Код введён неверно слишком много раз. Нажмите «Отправить код повторно»."
    if result is codes.CheckResult.LOCKED:
        return locked_message(check.locked_until)
    return "Этот код больше не действует. Запросите новый код."
