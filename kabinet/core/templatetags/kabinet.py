"""Template filters for money: «1 234,56 ₽», as Russian documents write it."""

from decimal import Decimal

from django import template

from kabinet.billing.money import to_kopecks

register = template.Library()
NBSP = "\u00a0"


@register.filter
def rub(value: Decimal | None) -> str:
    if value is None or value == "":
        return "—"
    amount = to_kopecks(value)
    sign = "−" if amount < 0 else ""
    whole, kopecks = f"{abs(amount):.2f}".split(".")
    groups = f"{int(whole):,}".replace(",", NBSP)
    return f"{sign}{groups},{kopecks}{NBSP}₽"


@register.filter
def neg(value: Decimal) -> Decimal:
    return -value
