from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kabinet.identity.registration import current_consent
from kabinet.portal.access import is_customer_session


def landing(request: HttpRequest) -> HttpResponse:
    """The company site's page with the «Личный кабинет» button (G1)."""
    if is_customer_session(request):
        return redirect("portal:home")
    return render(request, "portal/landing.html")


def consent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/consent.html", {"consent": current_consent()})
