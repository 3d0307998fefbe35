"""Template filters for money and quantities, written as Russian documents write them
(the formatting itself lives in billing.money, shared with the PDF bill), and for what a line
must not break inside (tests/e2e/test_layout.py checks that no word is broken over lines)."""

from decimal import Decimal
import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kabinet.billing.money import format_quantity, format_rub
from kabinet.identity.phones import display_phone

register = template.Library()


@register.filter
def rub(value: Decimal | None) -> str:
    """«1 234,56 ₽»; «—» when there is no amount."""
    if value is None or value == "":
        return "—"
    return format_rub(value)


@register.filter
def quantity(value: Decimal | None) -> str:
    """A volume or a tariff: «3 079,54», «171»; «—» when there is none."""
    if value is None or value == "":
        return "—"
    return format_quantity(Decimal(value))


@register.filter
def neg(value: Decimal) -> Decimal:
    return -value


@register.filter
def phone(value: str | None) -> str:
    """«+7 912 345-67-89» (identity.phones, as the portal writes it); «—» when there is none."""
    return display_phone(value) if value else "—"


@register.filter
def nbsp(value: object) -> str:
    """Spaces made non-breaking, for what is read as one thing: «29 ноября 2026, 23:31»."""
    return str(value).replace(" ", "\u00a0")


# Where a long address or link may go on to the next line: after «@» and «/», before a dot, «?»,
# «&» or «=». Elsewhere its parts stay whole, rather than breaking wherever the line ends.
_BREAKS = re.compile(r"(?<=[@/])(?=[^/])|(?<=\w)(?=[.?&=][\w])")


def _whole(part: str) -> str:
    """A part with a hyphen («66-2026-000001/») would break at it: kept on one line."""
    return f'<span class="nowrap">{escape(part)}</span>' if "-" in part else escape(part)


@register.filter
def breakable(value: object) -> SafeString:
    """An e-mail address or a URL with <wbr> where it may break:
    «aleksandra<wbr>.konstantinopolskaya@<wbr>example<wbr>.ru»."""
    return mark_safe("<wbr>".join(_whole(part) for part in _BREAKS.split(str(value))))  # noqa: S308 (parts escaped)
