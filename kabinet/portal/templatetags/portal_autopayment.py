"""`{% autopayment_state account as state %}`: the account card's «Автоплатёж» line, kept out
of the views that build the cards. A page of many cards gives them all at once in the context
as `autopayments` (payments.cards.autopayments_by_account: one query for the page); otherwise
the tag asks for this one account."""

from django import template

from kabinet.payments.cards import autopayments_by_account
from kabinet.payments.services import online_payment_available

register = template.Library()


@register.simple_tag(takes_context=True)
def autopayment_state(context, account):
    """The customer's own autopayment of the account, or "none" (still a link to set one up)
    when online payment works; None (no line at all) when neither."""
    known = context.get("autopayments")
    if known is None:
        known = autopayments_by_account([account], context["request"].user)
    found = known.get(account.pk)
    if found is None and not online_payment_available():
        return None
    return found or "none"
