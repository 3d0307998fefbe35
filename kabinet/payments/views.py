"""ЮKassa's HTTP notifications, and the demo acquirer's confirmation page («Тестовая оплата»)."""

from decimal import Decimal
import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.billing.models import PersonalAccount
from kabinet.payments import demo
from kabinet.payments.acquirer import demo_enabled
from kabinet.payments.errors import AcquirerUnavailable, BadNotification
from kabinet.payments.services import apply_notification

logger = logging.getLogger(__name__)


@csrf_exempt  # ЮKassa's server posts here; the body is never trusted (payments.incoming)
@require_POST
def notification(request: HttpRequest) -> HttpResponse:
    """200 once applied (or already applied), 400 for garbage, 503 when ЮKassa's API cannot be
    asked: ЮKassa then sends the notification again."""
    try:
        apply_notification(request.body)
    except BadNotification as exc:
        logger.warning("notification refused: %s", exc)
        return HttpResponse(status=400)
    except AcquirerUnavailable as exc:
        logger.warning("notification not applied, acquirer unavailable: %s", exc.detail)
        return HttpResponse(status=503)
    return HttpResponse(status=200)


@require_http_methods(["GET", "POST"])
def demo_page(request: HttpRequest, charge_id) -> HttpResponse:
    """The demo acquirer's page: pay or cancel, then back to the return URL. Not found unless
    the demo acquirer is the one in use (DEBUG on, no ЮKassa shop)."""
    charge = demo.pending_charge(str(charge_id)) if demo_enabled() else None
    if charge is None:
        raise Http404
    if request.method == "POST" and charge.object["status"] == "pending":
        demo.finish(charge.pk, paid=request.POST.get("action") == "pay")
        return redirect(_return_url(request, charge))
    number = charge.request.get("metadata", {}).get("account", "")
    context = {
        "charge": charge.object,
        "amount": Decimal(charge.request["amount"]["value"]),
        "account": PersonalAccount.objects.filter(number=number).select_related("premises").first(),
        "number": number,
        "return_url": _return_url(request, charge),
    }
    return render(request, "payments/demo.html", context)


def _return_url(request: HttpRequest, charge) -> str:
    url = charge.request.get("confirmation", {}).get("return_url", "/")
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}) else "/"
