"""Login (G3, G9, G10) and logout."""

from urllib.parse import urlencode

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from kabinet.core import audit
from kabinet.core.models import AuditEvent
from kabinet.core.net import client_ip
from kabinet.core.wording import locked_message
from kabinet.identity import second_factor
from kabinet.identity.doors import Door, enter, is_employee_session
from kabinet.identity.login import Outcome, authenticate_customer
from kabinet.portal.access import is_customer_session
from kabinet.portal.forms import LoginForm

INVALID = "Неверный логин или пароль. Проверьте номер лицевого счета, телефон или e-mail, пароль и регион."


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def sign_in(request: HttpRequest, user) -> None:
    """Log the user in at the customers' door; Django rotates the session key, so a planted
    session id is useless."""
    enter(request, user, Door.PORTAL)
    owed = second_factor.login_details(user)
    audit.record(AuditEvent.Action.LOGIN, request=request, user=user, identifier=user.phone or "", **owed)


def _to_code_page(request: HttpRequest) -> HttpResponse:
    target = reverse("portal:second_factor")
    back = _next_url(request)
    return redirect(f"{target}?{urlencode({'next': back})}" if back else target)


@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    if is_customer_session(request):
        return redirect(_next_url(request) or "portal:home")
    form = LoginForm(request.POST or None)
    problem = None
    status = 200
    if request.method == "POST" and form.is_valid():
        region = form.cleaned_data["region"]
        result = authenticate_customer(
            form.cleaned_data["identifier"], form.cleaned_data["password"], region, client_ip(request)
        )
        if result.outcome is Outcome.OK:
            sign_in(request, result.user)
            if second_factor.is_on(result.user) and not second_factor.admit_remembered(request, result.user):
                return _to_code_page(request)
            return redirect(_next_url(request) or "portal:home")
        problem = {"kind": result.outcome.value, "region": region}
        if result.outcome is Outcome.INVALID:
            form.add_error(None, INVALID)
        elif result.outcome is Outcome.LOCKED:
            form.add_error(None, locked_message(result.locked_until))
            status = 429
    # An employee's session (back office, admin) is not a customer's: say so above the form.
    is_employee = is_employee_session(request)
    context = {"form": form, "problem": problem, "next": _next_url(request), "is_employee": is_employee}
    return render(request, "portal/login.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record(AuditEvent.Action.LOGOUT, request=request, user=request.user)
    logout(request)
    # «Выйти» on a page meant for another account (an e-mail link) comes back to it after the
    # login, as that account.
    target = _next_url(request)
    return redirect_to_login(target) if target else redirect("portal:login")
