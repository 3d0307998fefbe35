"""Words more than one app shows: when a lock ends, a Russian plural, a letter's greeting."""

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format


def when(moment: datetime) -> str:
    """«14:32» today, «3 декабря 14:32» on another day."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return date_format(local, "H:i")
    return date_format(local, "j E H:i")


def plural_ru(n: int, forms: tuple[str, str, str]) -> str:
    """The Russian form for n: («час», «часа», «часов») → 1 час, 3 часа, 11 часов, 21 час."""
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def greeting(first_name: str) -> str:
    """A letter's first line: «Здравствуйте, Анна!» when the name is known, else «Здравствуйте!»."""
    return f"Здравствуйте, {first_name}!" if first_name else "Здравствуйте!"


def locked_message(until: datetime) -> str:
    return f"Слишком много неудачных попыток. Повторите после {when(until)}."
