"""«Квитанции» of a personal account: the bills of the last three years as PDF, and the
«Электронная квитанция» subscription (the bill by e-mail instead of paper)."""

from datetime import date

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from kabinet.billing.access import customer_account
from kabinet.billing.bill_jobs import (
    NoEmail,
    customer_account_and_subscription,
    customer_bill,
    subscribe,
    unsubscribe,
)
from kabinet.billing.bills import NoBill
from kabinet.core.storage import private_download
from kabinet.payments.services import online_payment_available
from kabinet.portal.access import customer_required
from kabinet.portal.bill_forms import EBillForm, ebill_field
from kabinet.portal.fragments import bill_months_html


@customer_required
def bill_list(request: HttpRequest, account_id: int) -> HttpResponse:
    """GET: the months with a bill and the e-bill setting. POST: change the setting."""
    today = timezone.localdate()
    account, subscribed = customer_account_and_subscription(request.user, account_id, today)
    no_email = False
    form = None  # a GET's unbound field is drawn once a process (ebill_field)
    if request.method == "POST":
        form = EBillForm(request.POST)
        if form.is_valid():
            try:
                return _change_subscription(request, account, form.cleaned_data["ebill"], subscribed)
            except NoEmail:
                no_email = True
    context = {
        "account": account,
        "months_html": bill_months_html(account, today),
        "form": form,
        "ebill_field": ebill_field(form, subscribed),
        "subscribed": subscribed,
        "no_email": no_email,
        "pay_online": online_payment_available(),
    }
    return render(request, "portal/bills/list.html", context, status=400 if request.method == "POST" else 200)


def _change_subscription(request: HttpRequest, account, wanted: bool, subscribed: bool) -> HttpResponse:
    if wanted and not subscribed:
        subscribe(request.user, account)
        messages.success(
            request,
            f"Электронная квитанция подключена: квитанции по лицевому счёту {account.number} будут приходить "
            f"на {request.user.email} вместо бумажных.",
        )
    elif subscribed and not wanted:
        unsubscribe(account)
        messages.success(request, "Электронная квитанция отключена: квитанция снова будет приходить на бумаге.")
    return redirect("portal:bills", account_id=account.pk)


@require_safe
@customer_required
def bill_pdf(request: HttpRequest, account_id: int, period: date) -> FileResponse:
    """The bill as a PDF download; generated now if the job has not made it yet."""
    account = customer_account(request.user, account_id)
    try:
        bill = customer_bill(account, period)
    except NoBill:
        raise Http404 from None
    return private_download(bill.pdf, f"kvitanciya-{account.number}-{period:%Y-%m}.pdf", "application/pdf")
