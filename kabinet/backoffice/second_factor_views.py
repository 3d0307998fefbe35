"""Employees' second factor, at both staff doors (the back office and the admin site): the code
after the password, and the setup every employee must do before anything else
(identity.middleware keeps them here until then)."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from kabinet.core.forms import PasskeyForm, SecondFactorForm, SetupCodeForm, SetupGrantForm
from kabinet.core.net import client_ip
from kabinet.core.passkey_pages import Added, SignedIn, add_passkey, sign_in_with_passkey
from kabinet.core.wording import locked_message
from kabinet.identity import passkeys, second_factor, setup_grants
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
    if request.POST.get("credential"):  # «Войти с ключом доступа»: the page's script filled it in
        return _passkey_code(request)
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = second_factor.verify(request.user, form.cleaned_data["code"], client_ip(request), site="staff")
        if check.outcome is second_factor.Outcome.OK:
            return _verified(request, check.device, form.cleaned_data["remember"])
        status = _refused(form, check)
    return render(request, "backoffice/second_factor_code.html", _code_context(request, form), status=status)


def _passkey_code(request: HttpRequest) -> HttpResponse:
    page = "backoffice/second_factor_code.html"
    signed_in = sign_in_with_passkey(request, lambda form: _code_context(request, form), page, site="staff")
    if not isinstance(signed_in, SignedIn):
        return signed_in
    return _verified(request, signed_in.device, signed_in.remember)


def _verified(request: HttpRequest, device, remember: bool) -> HttpResponse:
    second_factor.mark_verified(request, device)
    response = redirect(_next(request))
    if remember:
        second_factor.remember(response, request.user, device, secure=settings.SESSION_COOKIE_SECURE)
    return response


def _code_context(request: HttpRequest, form) -> dict:
    app = second_factor.app_device(request.user) is not None
    if not app:
        form.fields["code"].label = "Резервный код"
        form.fields["code"].help_text = "Один из резервных кодов, которые вы сохранили при настройке."
    return {
        "form": form,
        "next": _next(request),
        "logout_url": reverse("backoffice:logout"),
        "passkey_only": not app,
        "has_passkeys": second_factor.passkeys(request.user).exists(),
        "passkey_options_url": reverse("backoffice:passkey_sign_in_options"),
    }


@require_POST
@employee_session
def passkey_sign_in_options(request: HttpRequest) -> HttpResponse:
    """The challenge for «Войти с ключом доступа», for a session that owes its second factor."""
    if request.user.is_verified() or not second_factor.passkeys(request.user).exists():
        return JsonResponse({"detail": "Войдите заново."}, status=403)
    return JsonResponse(passkeys.sign_in_options(request))


@sensitive_post_parameters("code")
@employee_session
def setup(request: HttpRequest) -> HttpResponse:
    """Set the app up (required of every employee), or, once on, renew the recovery codes."""
    user = request.user
    if second_factor.is_on(user) and not user.is_verified():
        return redirect(f"{reverse('backoffice:second_factor')}?{urlencode({'next': _next(request)})}")
    form = SetupCodeForm(request.POST or None)
    status, codes = 200, []
    may = user.is_verified() or setup_grants.may_set_up(request)
    if request.method == "POST" and not second_factor.code_factor_on(user) and may and form.is_valid():
        check, codes = second_factor.confirm_setup(user, form.cleaned_data["code"], client_ip(request))
        if check.outcome is second_factor.Outcome.OK:
            second_factor.mark_verified(request, check.device)
            setup_grants.done(request)
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


def _may_set_up(request: HttpRequest, on: bool) -> bool:
    """Whether this session may see a pending app secret: a verified one, or the first factor's
    (after an administrator's deletion, with the code redeemed). Not the password alone of an
    employee who has a factor: the secret would let its holder make codes later."""
    return request.user.is_verified() or (not on and setup_grants.may_set_up(request))


def _owes_code(request: HttpRequest) -> HttpResponse | None:
    """The code page, for a session that has a factor to complete before anything else."""
    if second_factor.is_on(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('backoffice:second_factor')}?{urlencode({'next': _next(request)})}")
    return None


def _page(request: HttpRequest, status: int, **context) -> HttpResponse:
    user = request.user
    on = second_factor.is_on(user)
    code_on = second_factor.code_factor_on(user)  # the app (employees have no SMS codes)
    context = {"form": SetupCodeForm(), "passkey_form": PasskeyForm(), "grant_form": SetupGrantForm()} | context
    context |= {
        "on": on,
        # After an administrator's deletion: nothing to set up before the administrator's code.
        "locked": not on and not user.is_verified() and not setup_grants.may_set_up(request),
        "code_on": code_on,
        # An employee adds the app beside a passkey only once verified (setup sends others away).
        "setup": second_factor.start_setup(user) if not code_on and _may_set_up(request, on) else None,
        "codes_left": second_factor.recovery_codes_left(user) if on else 0,
        "next": _next(request),
        "passkeys": [(key, passkeys.may_remove(user, key)) for key in second_factor.passkeys(user)],
        "passkey_options_url": reverse("backoffice:passkey_options"),
    }
    return render(request, "backoffice/second_factor.html", context, status=status)


@require_POST
@employee_session
def passkey_options(request: HttpRequest) -> HttpResponse:
    """The challenge for «Добавить ключ доступа»: a verified session's, or the first factor's."""
    if owes := _owes_code(request):
        return owes
    if not passkeys.may_add(request):
        return JsonResponse({"detail": "Сначала подтвердите вход."}, status=403)
    return JsonResponse(passkeys.registration_options(request))


@require_POST
@employee_session
def passkey_add(request: HttpRequest) -> HttpResponse:
    if owes := _owes_code(request):
        return owes
    added = add_passkey(request, lambda status, **context: _page(request, status, **context))
    if not isinstance(added, Added):
        return added
    if added.codes:
        return _page(request, 200, codes=added.codes)
    return redirect(f"{reverse('backoffice:second_factor_setup')}?{urlencode({'next': _next(request)})}")


@require_POST
@employee_session
def passkey_remove(request: HttpRequest) -> HttpResponse:
    """Not the last second factor (passkeys.may_remove); the verified session is the proof."""
    if not request.user.is_verified():
        return redirect("backoffice:second_factor_setup")
    raw = request.POST.get("passkey", "")
    check = passkeys.remove(request.user, int(raw) if raw.isdigit() else 0, client_ip(request))
    if check.outcome is second_factor.Outcome.OK:
        messages.success(request, "Ключ доступа удалён.")
    else:
        messages.error(request, "Это ваш единственный способ входа: сначала добавьте приложение или другой ключ.")
    return redirect("backoffice:second_factor_setup")


@require_POST
@sensitive_post_parameters("code")
@employee_session
def grant(request: HttpRequest) -> HttpResponse:
    """«Код от администратора»: after an administrator deleted the second factor, it opens the
    setup for this session (identity.setup_grants)."""
    form = SetupGrantForm(request.POST)
    if second_factor.is_on(request.user) or not setup_grants.is_locked(request.user):
        return redirect("backoffice:second_factor_setup")
    if form.is_valid():
        check = setup_grants.redeem(request, form.cleaned_data["code"], client_ip(request))
        if check.outcome is second_factor.Outcome.OK:
            return redirect(f"{reverse('backoffice:second_factor_setup')}?{urlencode({'next': _next(request)})}")
        if check.outcome is second_factor.Outcome.LOCKED:
            form.add_error(None, locked_message(check.locked_until))
            return _page(request, 429, grant_form=form)
        form.add_error("code", "Неверный или просроченный код. Попросите администратора выдать новый.")
    return _page(request, 400, grant_form=form)
