"""The customer's home page and the onboarding tour (G7, G13)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from kabinet.payments.services import online_payment_available
from kabinet.portal.access import customer_required
from kabinet.portal.fragments import cards_html


@customer_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        # Drawn once for as long as nothing it shows changes (docs/performance.md, steps 6c, 8).
        "cards_html": cards_html(request.user, timezone.localdate(), online_payment_available()),
        "offer_tour": request.user.tour_completed_at is None,
        "start_tour": request.GET.get("tour") == "1",
    }
    return render(request, "portal/home.html", context)


@customer_required
def tour(request: HttpRequest) -> HttpResponse:
    """The tour as a page of steps: what people without JavaScript get, and a printable list."""
    return render(request, "portal/tour.html")


@require_POST
@customer_required
def tour_done(request: HttpRequest) -> HttpResponse:
    if request.user.tour_completed_at is None:
        request.user.tour_completed_at = timezone.now()
        request.user.save(update_fields=["tour_completed_at"])
    if request.headers.get("Accept", "").startswith("application/json"):
        return HttpResponse(status=204)
    return redirect("portal:home")
