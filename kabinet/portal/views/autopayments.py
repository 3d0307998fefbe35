"""«Автоплатёж» of a personal account: set it up (a first payment that saves the card at the
acquirer), see it, change the day and cap, switch it off. Rules: payments.autopayments."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from kabinet.billing.access import customer_account
from kabinet.billing.money import format_rub
from kabinet.payments import autopayments
from kabinet.payments.cards import customer_paying_account
from kabinet.payments.errors import AcquirerUnavailable, PaymentRefused
from kabinet.payments.services import is_demo, online_payment_available
from kabinet.portal.access import customer_required
from kabinet.portal.autopayment_forms import AutoPaymentForm, form_fields, setup_fields, working_fields

Status = autopayments.AutoPayment.Status


@require_http_methods(["GET", "POST"])
@customer_required
def autopayment(request: HttpRequest, account_id: int) -> HttpResponse:
    """GET: the autopayment (its first payment settled on the way back from the bank's page)
    or the form to set it up. POST: set up, or change the day and cap of a working one."""
    paying = customer_paying_account(request.user, account_id)
    account = paying.account
    current = paying.autopayment()
    if current is not None and current.status == Status.SETUP:
        current = autopayments.settle_setup(current)
    working = current is not None and current.status == Status.ACTIVE
    first_amount = paying.suggested_amount  # autopayments.first_payment_amount, read with the account
    first = {} if working else {"first_amount": first_amount}
    available = online_payment_available()
    can_set_up = available and account.is_active  # the page's «Подключить автоплатёж» section
    form = None  # a GET's is drawn once a process where the page shows it (`fields`)
    if request.method == "POST":
        form = AutoPaymentForm(request.POST, **first)
        if form.is_valid():
            try:
                terms = autopayments.checked_terms(form.cleaned_data["day"], form.cleaned_data["cap"])
                return _change(request, current, terms) if working else _set_up(request, account, terms)
            except PaymentRefused as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
            except AcquirerUnavailable as unavailable:
                form.add_error(None, unavailable.message)
    fields = None  # the page shows a form to a working autopayment, and where one can be set up
    if form is not None:
        fields = form_fields(form)
    elif working:
        fields = working_fields(current.day, current.cap)
    elif can_set_up:
        fields = setup_fields(first_amount)
    today = timezone.localdate()
    context = {
        "account": account,
        "autopayment": current,
        "working": working,
        "form": form,
        "fields": fields,
        "next_date": autopayments.next_charge_date(current, today) if working else None,
        "last": autopayments.last_charge(current) if current else None,
        "first_amount": first_amount,
        "can_set_up": can_set_up,
        "demo": is_demo(),
    }
    return render(request, "portal/accounts/autopayment.html", context, status=400 if request.method == "POST" else 200)


def _set_up(request: HttpRequest, account, terms: autopayments.Terms) -> HttpResponse:
    # From settings, as payments.return_url: never from the request's Host header.
    back = settings.KABINET_PUBLIC_URL + reverse("portal:autopayment", args=[account.pk])
    started = autopayments.start_setup(
        user=request.user, account=account, terms=terms, return_url=back, request=request
    )
    return redirect(started.setup_payment.confirmation_url)


def _change(request: HttpRequest, current, terms: autopayments.Terms) -> HttpResponse:
    changed = autopayments.change(current, terms, user=request.user, request=request)
    cap = format_rub(changed.cap)
    messages.success(request, f"Автоплатёж изменён: списание {changed.day}-го числа, не больше {cap}.")
    return redirect("portal:autopayment", account_id=changed.account_id)


@require_http_methods(["GET", "POST"])
@customer_required
def autopayment_off(request: HttpRequest, account_id: int) -> HttpResponse:
    """GET asks first and says what happens to the card; POST switches it off."""
    account = customer_account(request.user, account_id)
    current = autopayments.autopayment_of(account, request.user)
    if current is None or not current.is_live:
        return redirect("portal:autopayment", account_id=account.pk)
    if request.method == "POST":
        autopayments.switch_off(current, user=request.user, request=request)  # the page then says so
        return redirect("portal:autopayment", account_id=account.pk)
    return render(request, "portal/accounts/autopayment_off.html", {"account": account, "autopayment": current})
