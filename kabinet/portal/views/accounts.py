"""«Начисления и платежи» of a personal account: months with services and payments, and
charts of balance and consumption drawn on the server."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kabinet.billing.history import account_history
from kabinet.payments.cards import customer_account_card
from kabinet.payments.services import online_payment_available
from kabinet.portal.access import customer_required
from kabinet.portal.fragments import history_html


@customer_required
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    card = customer_account_card(request.user, account_id)
    account = card.account
    history = account_history(account)
    context = {
        "account": account,
        "history": history,
        # Two thirds of the page's time was drawing these: kept rendered (portal.fragments).
        # `latest`, not `months`: from the cache the months' instances are never made.
        "history_html": history_html(account, history) if history.latest else "",
        "pending": card.in_progress,
        "autopayments": {account.pk: card.autopayment},  # for portal_autopayment
        "pay_online": online_payment_available(),
    }
    return render(request, "portal/accounts/detail.html", context)
