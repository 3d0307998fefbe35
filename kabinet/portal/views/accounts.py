"""«Начисления и платежи» of a personal account: months with services and payments, and
charts of balance and consumption drawn on the server."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kabinet.payments.cards import customer_account_card
from kabinet.payments.services import online_payment_available
from kabinet.portal.access import customer_required
from kabinet.portal.fragments import account_html


@customer_required
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    card = customer_account_card(request.user, account_id)
    account = card.account
    context = {
        "account": account,
        "pending": card.in_progress,
        # Two thirds of the page's time was drawing the history: the balance card and the
        # history are kept rendered (portal.fragments), and from the cache on PostgreSQL the
        # history is its digest, read with the card, and no row (docs/performance.md «6e.», 11).
        "account_html": account_html(card, online_payment_available()),
    }
    return render(request, "portal/accounts/detail.html", context)
