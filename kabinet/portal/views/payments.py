"""«Оплатить»: the pay form of an account, the page the acquirer sends the customer back to,
and the status that page's script asks for. Rules (amounts, limits, who may pay, states) are
kabinet.payments.services'; the pages show its answers. A payment is named by its public_id,
and only the customers holding its account find it."""

from uuid import UUID

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from kabinet.billing.balances import summaries
from kabinet.billing.money import format_input_amount
from kabinet.payments import services as payments
from kabinet.payments.cards import PayingAccount, customer_paying_account
from kabinet.portal.access import customer_required
from kabinet.portal.payment_forms import PayForm

# ЮKassa's payment pages: the pay form's POST is redirected there, and a browser applies the
# page's form-action to that redirect.
ACQUIRER_PAGES = ["https://yoomoney.ru"]


@require_http_methods(["GET", "POST"])
@customer_required
def pay(request: HttpRequest, account_id: int) -> HttpResponse:
    paying = customer_paying_account(request.user, account_id)
    account = paying.account
    if not payments.online_payment_available():
        return _pay_page(request, paying, None, status=503 if request.method == "POST" else 200)
    limits = payments.payment_limits()
    if request.method != "POST":
        return _pay_page(request, paying, PayForm(initial=_initial(request, paying), limits=limits))
    form = PayForm(request.POST, limits=limits)
    unavailable = ""
    if form.is_valid():
        try:
            payment = payments.start_payment(
                user=request.user,
                account=account,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                return_url=return_url,
                **form.receipt_contact(),
            )
            return redirect(payment.confirmation_url)
        except payments.PaymentRefused as refused:
            form.refuse(refused)
        except payments.AcquirerUnavailable as down:
            unavailable = down.message
    return _pay_page(request, paying, form, unavailable=unavailable, status=503 if unavailable else 400)


def _initial(request: HttpRequest, paying: PayingAccount) -> dict:
    """The debt (or the latest bill), or the amount of the payment being tried again."""
    again = request.GET.get("amount", "")
    amount = again[:20] if again else format_input_amount(paying.suggested_amount)
    method = request.GET.get("method") if request.GET.get("method") in ("bank_card", "sbp") else "bank_card"
    return {"amount": amount, "method": method, "receipt": request.user.email or request.user.phone or ""}


def _pay_page(request, paying: PayingAccount, form, *, unavailable: str = "", status: int = 200) -> HttpResponse:
    context = {
        "account": paying.account,
        "form": form,
        "unavailable": unavailable,
        "demo": payments.is_demo(),
        # After a POST read again: an attempt the acquirer did not answer is left open (new), and
        # the customer must see it before paying once more (the flag was read before it).
        "pending": list(payments.in_progress(paying.account)) if request.method == "POST" else paying.in_progress(),
    }
    response = render(request, "portal/payments/pay.html", context, status=status)
    response._csp_update = {"form-action": ACQUIRER_PAGES}  # django-csp: this page only
    return response


def return_url(payment) -> str:
    """Absolute, as the acquirer needs it: where the customer lands after paying."""
    return settings.KABINET_PUBLIC_URL + reverse("portal:payment", kwargs={"payment_id": payment.public_id})


def _own_payment(request: HttpRequest, payment_id: UUID):
    """The payment into an account the customer holds; anyone else's is simply not found."""
    payment = payments.payments_of(request.user).filter(public_id=payment_id).first()
    if payment is None:
        raise Http404
    return payment


@require_http_methods(["GET", "POST"])
@customer_required
def payment_page(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    """GET: the payment as Kabinet knows it, without asking the acquirer. POST («Обновить»,
    for a page without script): ask, then show it again."""
    payment = _own_payment(request, payment_id)
    if request.method == "POST":
        payments.refresh_if_due(payment)
        return redirect("portal:payment", payment_id=payment.public_id)
    return render(request, "portal/payments/payment.html", _state_context(payment))


@require_safe
@customer_required
def payment_status(request: HttpRequest, payment_id: UUID) -> JsonResponse:
    """The return page's script asks here: the state, and the page's part that shows it."""
    payment = payments.refresh_if_due(_own_payment(request, payment_id))
    html = render_to_string("portal/payments/_state.html", _state_context(payment), request=request)
    return JsonResponse({"status": payment.status, "final": payment.is_final, "html": html})


def _state_context(payment) -> dict:
    card = summaries([payment.account], timezone.localdate())[0] if payment.is_final else None
    return {"payment": payment, "account": payment.account, "card": card, "amount": format_input_amount(payment.amount)}
