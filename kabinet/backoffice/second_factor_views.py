"""Employees' second factor, at both staff doors (the back office and the admin site): the code
after the password, and the setup every employee must do before anything else
(identity.middleware keeps them here until then)."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from kabinet.core.forms import SecondFactorForm, SetupCodeForm
from kabinet.core.net import client_ip
from kabinet.core.wording import locked_message
from kabinet.identity import second_factor
from kabinet.identity.doors import STAFF_DOORS, came_through
from kabinet.identity.staff import is_staff_member

INVALID = "Неверный код. Проверьте время на телефоне и введите код, который показан сейчас."


def employee_session(view):
    """A session opened at a staff door by an employee, verified or not yet."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not (any(came_through(request, d) for d in STAFF_DOORS) and is_staff_member(request.user)):
            return redirect("backoffice:login")
        return view(request, *args, **kwargs)

    return wrapper


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith(("/backoffice/", "/admin/")) and not target.startswith("//"):
        return target
    return reverse("admin:index") if came_through(request, STAFF_DOORS[1]) else reverse("backoffice:queue")


def _refused(form, check) -> int:
    if check.outcome is second_factor.Outcome.LOCKED:
        form.add_error(None, locked_message(check.locked_until))
        return 429
    form.add_error("code", INVALID)
    return 400


@sensitive_post_parameters("code")
@employee_session
def code(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect(_next(request))
    if not second_factor.is_on(request.user):
        return redirect(f"{reverse('backoffice:second_factor_setup')}?{urlencode({'next': _next(request)})}")
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = second_factor.verify(request.user, form.cleaned_data["code"], client_ip(request), site="staff")
        if check.outcome is second_factor.Outcome.OK:
            second_factor.mark_verified(request, check.device)
            response = redirect(_next(request))
            if form.cleaned_data["remember"]:
                second_factor.remember(response, request.user, check.device, secure=settings.SESSION_COOKIE_SECURE)
            return response
        status = _refused(form, check)
    context = {"form": form, "next": _next(request), "logout_url": reverse("backoffice:logout")}
    return render(request, "backoffice/second_factor_code.html", context, status=status)


@sensitive_post_parameters("code")
@employee_session
def setup(request: HttpRequest) -> HttpResponse:
    """Set the app up (required of every employee), or, once on, renew the recovery codes."""
    user = request.user
    if second_factor.is_on(user) and not user.is_verified():
        return redirect(f"{reverse('backoffice:second_factor')}?{urlencode({'next': _next(request)})}")
    form = SetupCodeForm(request.POST or None)
    status, codes = 200, []
    if request.method == "POST" and not second_factor.is_on(user) and form.is_valid():
        check, codes = second_factor.confirm_setup(user, form.cleaned_data["code"], client_ip(request))
        if check.outcome is second_factor.Outcome.OK:
            second_factor.mark_verified(request, check.device)
        else:
            status = _refused(form, check)
    elif request.method == "POST":
        status = 400
    return _page(request, status, form=form, codes=codes)


@require_POST
@employee_session
def recovery_codes(request: HttpRequest) -> HttpResponse:
    if not request.user.is_verified():
        return redirect("backoffice:second_factor_setup")
    return _page(
        request, 200, form=SetupCodeForm(), codes=second_factor.new_recovery_codes(request.user, client_ip(request))
    )


def _page(request: HttpRequest, status: int, **context) -> HttpResponse:
    on = second_factor.is_on(request.user)
    context |= {
        "on": on,
        "setup": None if on else second_factor.start_setup(request.user),
        "codes_left": second_factor.recovery_codes_left(request.user) if on else 0,
        "next": _next(request),
    }
    return render(request, "backoffice/second_factor.html", context, status=status)
