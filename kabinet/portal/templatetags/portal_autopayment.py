"""`{% autopayment_state account as state %}`: the account card's «Автоплатёж» line (one query
per card; a customer has a few accounts), kept out of the views that build the cards."""

from django import template

from kabinet.payments.autopayments import autopayment_of
from kabinet.payments.services import online_payment_available

register = template.Library()


@register.simple_tag
def autopayment_state(account, user):
    """The user's autopayment of the account, or "none" (still a link to set one up) when online payment
    works; None (no line at all) when neither."""
    found = autopayment_of(account, user)
    if found is None and not online_payment_available():
        return None
    return found or "none"
