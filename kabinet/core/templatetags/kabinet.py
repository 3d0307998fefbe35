"""Template filters for money and quantities, written as Russian documents write them
(the formatting itself lives in billing.money, shared with the PDF bill)."""

from decimal import Decimal

from django import template

from kabinet.billing.money import format_quantity, format_rub

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
