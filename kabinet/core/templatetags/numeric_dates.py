"""The `date` filter, a builtin of the template engine (settings.TEMPLATES) that writes the
formats the pages use («30.11.2026», «30.11.2026 23:31», «ноябрь 2026», «30 ноября 2026 г.»)
directly, in a tenth of the time of Django's filter (which reads the format character by
character through the translation machinery on every call). A format is worked out once into a
Python format string; month names are Django's own (MONTHS, MONTHS_ALT) in the active
language. A format with any other letter or an escape, and anything not a date, goes to
Django's filter, as does a time part asked of a date (Django refuses it)."""

import datetime
from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import date as django_date
from django.utils.dates import MONTHS, MONTHS_ALT
from django.utils.translation import get_language

register = template.Library()

# Django's dateformat: d, m and Y zero-padded, j the bare day, F and E the month's names.
_FIELDS = {
    "d": "{0.day:02d}",
    "m": "{0.month:02d}",
    "Y": "{0.year:04d}",
    "j": "{0.day}",
    "H": "{0.hour:02d}",
    "i": "{0.minute:02d}",
    "F": "{1}",
    "E": "{2}",
}
_TIME = frozenset("Hi")


@lru_cache(maxsize=128)
def _pattern(arg: str) -> tuple[str, bool] | None:
    """The format as a str.format pattern and whether it shows the time; None when Django's
    filter must write it (a letter this does not know, an escape)."""
    parts = []
    for char in arg:
        if char in _FIELDS:
            parts.append(_FIELDS[char])
        elif char == "\\" or (char.isascii() and char.isalpha()):
            return None
        else:
            parts.append(char.replace("{", "{{").replace("}", "}}"))
    return "".join(parts), bool(_TIME.intersection(arg))


@lru_cache(maxsize=8)
def _month_names(language: str | None) -> tuple[list[str], list[str]]:
    return [""] + [str(MONTHS[m]) for m in range(1, 13)], [""] + [str(MONTHS_ALT[m]) for m in range(1, 13)]


@receiver(setting_changed)
def _forget_month_names(**kwargs) -> None:
    _month_names.cache_clear()  # a test's LANGUAGE_CODE, USE_I18N or LOCALE_PATHS


@register.filter(expects_localtime=True, is_safe=False)
def date(value: object, arg: str | None = None) -> str:
    # A template's literal argument ("F Y") reaches a filter as a SafeString, a str subclass:
    # `type(arg) is str` sent every date of every template to Django's filter.
    compiled = _pattern(str(arg)) if arg and isinstance(arg, str) else None
    if compiled is None or not isinstance(value, datetime.date):
        return django_date(value, arg)
    pattern, shows_time = compiled
    if shows_time and not isinstance(value, datetime.datetime):
        return django_date(value, arg)
    names, alt_names = _month_names(get_language())
    return pattern.format(value, names[value.month], alt_names[value.month])
