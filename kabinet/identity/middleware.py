"""No page before the second factor: a session whose user needs one (identity.second_factor)
and has not entered a code yet reaches only the code page of its door, the setup page
(employees without a device) and «Выйти». Deny by default, so a page added later is covered
without a decorator, the admin site included."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from kabinet.identity import second_factor
from kabinet.identity.doors import SESSION_KEY, STAFF_DOORS, Door
from kabinet.identity.factors import factor_on
from kabinet.identity.staff import is_staff_member

# Reached before the code: the code pages (and their passkey challenge), employees' setup (a
# passkey's included: the views let only a user without a second factor add one unverified),
# and every door's «Выйти».
OPEN = {
    "portal:second_factor",
    "portal:second_factor_sms",
    "portal:passkey_sign_in_options",
    "portal:logout",
    "backoffice:second_factor",
    "backoffice:second_factor_setup",
    "backoffice:passkey_sign_in_options",
    "backoffice:passkey_options",
    "backoffice:passkey_add",
    "backoffice:second_factor_grant",
    "backoffice:logout",
    "admin:logout",
}


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or user.is_verified() or _exempt(request.path_info):
            return self.get_response(request)
        if not _required(request):
            return self.get_response(request)
        try:
            name = resolve(request.path_info).view_name
        except Resolver404:
            name = ""
        if name in OPEN:
            return self.get_response(request)
        return redirect(_where(request))


def _required(request: HttpRequest) -> bool:
    """Employees at their doors always; customers once they turned it on. An employee's session
    without a staff door is left to the doors' own checks (they send it to sign in)."""
    door = request.session.get(SESSION_KEY)
    if door in {d.value for d in STAFF_DOORS}:
        return is_staff_member(request.user)
    # A customer's session from before doors were noted is still a customer's (identity.doors).
    return door in (Door.PORTAL.value, None) and factor_on(request.user)


def _exempt(path: str) -> bool:
    # Bearer-token API (no sessions), static files, health checks.
    return path.startswith(("/api/", "/" + settings.STATIC_URL.lstrip("/"), "/healthz"))


def _where(request: HttpRequest) -> str:
    portal = request.session.get(SESSION_KEY) in (Door.PORTAL.value, None)
    if portal:
        target = reverse("portal:second_factor")
    elif second_factor.is_on(request.user):
        target = reverse("backoffice:second_factor")
    else:
        target = reverse("backoffice:second_factor_setup")
    back = request.get_full_path() if request.method == "GET" else ""
    return f"{target}?{urlencode({'next': back})}" if back else target
