"""«Платежи» in the back office: the list of online payments with filters, a payment's page
and a supervisor's refund. Who sees which payment and who may refund is
kabinet.payments.staff; the refund itself is kabinet.payments.services."""

from urllib.parse import urlencode
import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kabinet.backoffice.forms import PaymentFilterForm, RefundForm
from kabinet.backoffice.views import staff_required
from kabinet.billing.money import format_amount, format_rub
from kabinet.payments import staff
from kabinet.payments.errors import AcquirerUnavailable, PaymentRefused
from kabinet.payments.models import OnlinePayment, Refund

PAYMENTS_PAGE = 50


@staff_required
def payments(request: HttpRequest) -> HttpResponse:
    role = request.staff_role
    form = PaymentFilterForm(
        request.GET or None,
        regions=role.regions.all(),
        statuses=OnlinePayment.Status.choices,
        methods=OnlinePayment.Method.choices,
    )
    wanted = staff.PaymentFilter(**form.cleaned_data) if form.is_valid() else staff.PaymentFilter()
    listed = staff.filtered(staff.visible_payments(role), wanted)
    page = Paginator(listed, PAYMENTS_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    context = {"form": form, "page": page, "query": query + "&" if query else ""}
    return render(request, "backoffice/payments.html", context, status=200 if form.is_valid() or not form.data else 400)


@staff_required
def payment(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    return _payment_page(request, public_id)


def _payment_page(
    request: HttpRequest, public_id: uuid.UUID, form: RefundForm | None = None, status: int = 200
) -> HttpResponse:
    role = request.staff_role
    item = staff.staff_payment(role, public_id)
    left = staff.left_to_refund(item)
    if form is None:
        form = RefundForm(initial={"amount": format_amount(left), "key": uuid.uuid4()})
    context = {
        "payment": item,
        "events": staff.journal(item),
        "refunds": item.refunds.select_related("requested_by"),
        "left": left,
        "may_refund": staff.may_refund(role) and left > 0,
        "form": form,
    }
    return render(request, "backoffice/payment.html", context, status=400 if form.errors else status)


@require_POST
@staff_required
def refund(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    role = request.staff_role
    staff.staff_payment(role, public_id)  # 404 outside the employee's regions, before anything else
    if not staff.may_refund(role):
        messages.error(request, staff.ONLY_SUPERVISOR)
        return _payment_page(request, public_id, status=403)
    form = RefundForm(request.POST)
    if not form.is_valid():
        return _payment_page(request, public_id, form)
    try:
        data = form.cleaned_data
        done = staff.refund_by_staff(role, public_id, data["amount"], data["reason"], key=data["key"], request=request)
    except PaymentRefused as refused:
        form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        return _payment_page(request, public_id, form)
    except AcquirerUnavailable as unavailable:
        form.add_error(None, unavailable.message)
        return _payment_page(request, public_id, form)
    messages.success(request, _refund_message(done))
    return redirect("backoffice:payment", public_id=public_id)


def _refund_message(done: Refund) -> str:
    if done.status == Refund.Status.SUCCEEDED:
        return f"Возврат {format_rub(done.amount)} выполнен."
    if done.status == Refund.Status.CANCELED:
        return f"ЮKassa отклонила возврат {format_rub(done.amount)}: подробности — в журнале платежа."
    return f"Возврат {format_rub(done.amount)} отправлен в ЮKassa; статус обновится, когда она его подтвердит."
