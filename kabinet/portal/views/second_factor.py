"""The customer's second factor: the code after the password, and its page in «Профиль»."""

from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters

from kabinet.core.forms import PasskeyForm, SecondFactorForm, SetupCodeForm
from kabinet.core.net import client_ip
from kabinet.core.passkey_pages import Added, SignedIn, add_passkey, sign_in_with_passkey
from kabinet.core.templatetags.unbound_fields import unbound
from kabinet.core.wording import locked_message
from kabinet.identity import passkeys, second_factor
from kabinet.identity.codes import CodeThrottled
from kabinet.identity.doors import Door, came_through
from kabinet.identity.phones import display_phone
from kabinet.portal.access import customer_required
from kabinet.portal.forms import RemovePasskeyForm, SmsCodeForm, TurnOffSecondFactorForm
from kabinet.portal.views.auth import _next_url
from kabinet.portal.views.common import post_only, throttled_message

INVALID = "Неверный код. Проверьте время на телефоне и введите код, который показан сейчас."
INVALID_SMS = "Неверный код. Введите код из последнего SMS или один из резервных кодов."


def _refused(form, check, *, sms_only: bool = False) -> int:
    if check.outcome is second_factor.Outcome.LOCKED:
        form.add_error(None, locked_message(check.locked_until))
        return 429
    form.add_error("code", INVALID_SMS if sms_only else INVALID)
    return 400


@sensitive_post_parameters("code")
def code(request: HttpRequest) -> HttpResponse:
    """Step two of the customers' sign-in."""
    if not came_through(request, Door.PORTAL):
        return redirect("portal:login")
    if request.user.is_verified() or not second_factor.is_on(request.user):
        return redirect(_next_url(request) or "portal:home")
    if request.POST.get("credential"):  # «Войти с ключом доступа»: the page's script filled it in
        return _passkey_code(request)
    form = SecondFactorForm(request.POST or None)
    context = _code_page_context(request, form)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = second_factor.verify(request.user, form.cleaned_data["code"], client_ip(request))
        if check.outcome is second_factor.Outcome.OK:
            if check.recovery_code:
                messages.warning(request, f"Вы вошли по резервному коду. Осталось кодов: {check.codes_left}.")
            return _verified(request, check.device, form.cleaned_data["remember"])
        status = _refused(form, check, sms_only=context["sms_only"])
    return render(request, "portal/second_factor_code.html", context, status=status)


def _passkey_code(request: HttpRequest) -> HttpResponse:
    page = "portal/second_factor_code.html"
    signed_in = sign_in_with_passkey(request, lambda form: _code_page_context(request, form), page)
    if not isinstance(signed_in, SignedIn):
        return signed_in
    return _verified(request, signed_in.device, signed_in.remember)


def _verified(request: HttpRequest, device, remember: bool) -> HttpResponse:
    second_factor.mark_verified(request, device)
    response = redirect(_next_url(request) or "portal:home")
    if remember:
        second_factor.remember(response, request.user, device, secure=settings.SESSION_COOKIE_SECURE)
    return response


def _code_page_context(request: HttpRequest, form) -> dict:
    """What the code page offers: the app's code, SMS, a passkey; recovery codes always."""
    user = request.user
    sms = second_factor.sms_device(user) is not None
    app = second_factor.app_device(user) is not None
    sms_only = sms and not app
    if sms_only:
        form.fields["code"].label = "Код из SMS"
        form.fields["code"].help_text = "Шесть цифр из SMS или один из резервных кодов."
    elif not app:
        form.fields["code"].label = "Резервный код"
        form.fields["code"].help_text = "Один из резервных кодов, которые вы сохранили при настройке."
    return {
        "form": form,
        "next": _next_url(request),
        "logout_url": reverse("portal:logout"),
        "sms": sms,
        "sms_only": sms_only,
        "passkey_only": not (sms or app),
        "has_passkeys": second_factor.passkeys(user).exists(),
        "passkey_options_url": reverse("portal:passkey_sign_in_options"),
        "passkey_origins": _passkey_origins(),
    }


def _passkey_origins() -> str:
    """Where WebAuthn answers are taken: the page's script compares its own address."""
    return " ".join(settings.OTP_WEBAUTHN_ALLOWED_ORIGINS)


@post_only("portal:second_factor")
def passkey_sign_in_options(request: HttpRequest) -> HttpResponse:
    """The challenge for «Войти с ключом доступа», for a session that owes its second factor."""
    owes = came_through(request, Door.PORTAL) and not request.user.is_verified()
    if not owes or not second_factor.passkeys(request.user).exists():
        return JsonResponse({"detail": "Войдите заново."}, status=403)
    return JsonResponse(passkeys.sign_in_options(request))


@post_only("portal:second_factor")
def send_sms(request: HttpRequest) -> HttpResponse:
    """«Отправить код по SMS» on the code page, for a customer who chose SMS codes."""
    if not came_through(request, Door.PORTAL) or second_factor.sms_device(request.user) is None:
        return redirect("portal:login")
    try:
        second_factor.send_code(request.user, client_ip(request))
        messages.success(request, f"Код отправлен на {display_phone(request.user.phone)}.")
    except CodeThrottled as throttled:
        messages.error(request, throttled_message(throttled.retry_at))
    target = reverse("portal:second_factor")
    back = _next_url(request)
    return redirect(f"{target}?{urlencode({'next': back})}" if back else target)


def _page(request: HttpRequest, status: int = 200, **context) -> HttpResponse:
    user = request.user
    found = second_factor.factors(user)
    sms_allowed = not found.code_on and found.sms_allowed
    forms = _forms(context, found, shows_sms_code=sms_allowed and context.get("sms_pending", False))
    context = {
        "on": found.on,
        "code_on": found.code_on,
        "sms_on": found.sms,
        "codes_left": found.codes_left if found.on else 0,
        "setup": None if found.code_on else second_factor.setup_of(user, found.pending),
        "sms_allowed": sms_allowed,
        "passkeys": [(key, True) for key in found.passkeys],
        "phone_display": display_phone(user.phone) if user.phone else "",
        "passkey_origins": _passkey_origins(),
        **forms,
        **context,
    }
    return render(request, "portal/second_factor.html", context, status=status)


def _forms(context: dict, found: second_factor.Factors, *, shows_sms_code: bool) -> dict:
    """The forms the page shows, each the one in `context` (refused, with its errors) or an
    empty one; a form the page does not show is not made. The app's and the passkey's empty forms
    are made once per process and their fields drawn once (core.templatetags.unbound_fields)."""

    def given_or(name: str, make, shown: bool = True):
        form = context.pop(name, None)
        return form if form is not None else make() if shown else None

    off_form = given_or("off_form", TurnOffSecondFactorForm, found.on)
    if off_form is not None and found.sms:
        off_form.fields["proof"].label = "Код из SMS, резервный код или пароль"
    elif off_form is not None and not found.code_on:  # passkeys only: a passkey cannot be typed in
        off_form.fields["proof"].label = "Резервный код или пароль"
    return {
        "form": given_or("form", partial(unbound, SetupCodeForm), not found.code_on),
        "off_form": off_form,
        "passkey_form": given_or("passkey_form", partial(unbound, PasskeyForm)),
        "passkey_remove_form": given_or(
            "passkey_remove_form", lambda: RemovePasskeyForm(passkeys=found.passkeys), bool(found.passkeys)
        ),
        "sms_form": given_or("sms_form", SmsCodeForm, shows_sms_code),
    }


@sensitive_post_parameters("code")
@customer_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """«Второй шаг входа» in «Профиль» (the app or SMS): set it up, see it, turn it off."""
    if request.method != "POST":
        return _page(request)
    form = SetupCodeForm(request.POST)
    if not form.is_valid():
        return _page(request, 400, form=form)
    check, codes = second_factor.confirm_setup(request.user, form.cleaned_data["code"], client_ip(request))
    if check.outcome is not second_factor.Outcome.OK:
        return _page(request, _refused(form, check), form=form)
    second_factor.mark_verified(request, check.device)
    return _page(request, codes=codes)


@customer_required
@post_only("portal:second_factor_settings")
def recovery_codes(request: HttpRequest) -> HttpResponse:
    if not second_factor.is_on(request.user):
        return redirect("portal:second_factor_settings")
    return _page(request, codes=second_factor.new_recovery_codes(request.user, client_ip(request)))


@sensitive_post_parameters("proof")
@customer_required
@post_only("portal:second_factor_settings")
def turn_off(request: HttpRequest) -> HttpResponse:
    form = TurnOffSecondFactorForm(request.POST)
    if not form.is_valid():
        return _page(request, 400, off_form=form)
    check = second_factor.turn_off(request.user, form.cleaned_data["proof"], client_ip(request))
    if check.outcome is second_factor.Outcome.LOCKED:
        form.add_error(None, locked_message(check.locked_until))
        return _page(request, 429, off_form=form)
    if check.outcome is not second_factor.Outcome.OK:
        form.add_error("proof", "Неверный код или пароль.")
        return _page(request, 400, off_form=form)
    messages.success(request, "Второй шаг входа отключён.")
    response = redirect("portal:profile")
    response.delete_cookie(second_factor.REMEMBER_COOKIE)
    return response


@customer_required
@post_only("portal:second_factor_settings")
def sms_setup(request: HttpRequest) -> HttpResponse:
    """«Получать коды по SMS»: a code to the profile's phone; entering it turns SMS codes on."""
    if second_factor.is_on(request.user) or not second_factor.may_use_sms(request.user):
        return redirect("portal:second_factor_settings")
    try:
        second_factor.start_sms_setup(request.user, client_ip(request))
    except CodeThrottled as throttled:
        messages.error(request, throttled_message(throttled.retry_at))
        return redirect("portal:second_factor_settings")
    return _page(request, sms_pending=True)


@sensitive_post_parameters("sms_code")
@customer_required
@post_only("portal:second_factor_settings")
def sms_confirm(request: HttpRequest) -> HttpResponse:
    form = SmsCodeForm(request.POST)
    if not form.is_valid():
        return _page(request, 400, sms_form=form, sms_pending=True)
    check, codes = second_factor.confirm_sms_setup(request.user, form.cleaned_data["sms_code"], client_ip(request))
    if check.outcome is second_factor.Outcome.LOCKED:
        form.add_error(None, locked_message(check.locked_until))
        return _page(request, 429, sms_form=form, sms_pending=True)
    if check.outcome is not second_factor.Outcome.OK:
        form.add_error("sms_code", "Неверный код. Проверьте SMS или запросите код ещё раз.")
        return _page(request, 400, sms_form=form, sms_pending=True)
    second_factor.mark_verified(request, check.device)
    return _page(request, codes=codes)


@customer_required
@post_only("portal:second_factor_settings")
def passkey_options(request: HttpRequest) -> HttpResponse:
    """The challenge for «Добавить ключ доступа» (the page's script asks for it)."""
    if not passkeys.may_add(request):  # the middleware sends such sessions away: kept as the rule
        return JsonResponse({"detail": "Сначала подтвердите вход."}, status=403)
    return JsonResponse(passkeys.registration_options(request))


@customer_required
@post_only("portal:second_factor_settings")
def passkey_add(request: HttpRequest) -> HttpResponse:
    added = add_passkey(request, lambda status, **context: _page(request, status, **context))
    if not isinstance(added, Added):
        return added
    if added.codes:
        return _page(request, codes=added.codes)
    return redirect("portal:second_factor_settings")


@sensitive_post_parameters("remove-proof")
@customer_required
@post_only("portal:second_factor_settings")
def passkey_remove(request: HttpRequest) -> HttpResponse:
    form = RemovePasskeyForm(request.POST, passkeys=second_factor.passkeys(request.user))
    if not form.is_valid():
        return _page(request, 400, passkey_remove_form=form)
    data = form.cleaned_data
    check = passkeys.remove(request.user, data["passkey"], client_ip(request), data["proof"])
    if check.outcome is second_factor.Outcome.LOCKED:
        form.add_error(None, locked_message(check.locked_until))
        return _page(request, 429, passkey_remove_form=form)
    if check.outcome is not second_factor.Outcome.OK:
        form.add_error("proof", "Неверный код или пароль.")
        return _page(request, 400, passkey_remove_form=form)
    messages.success(request, "Ключ доступа удалён.")
    return redirect("portal:second_factor_settings")
