"""The steps both doors take with passkeys: a signed-in person adds one (the form checked, the
registration refused or done, the session verified by the new key), and signs in with one after
the password. Each door draws its own page around them and decides where to go afterwards."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kabinet.core.forms import PasskeyForm, PasskeySignInForm, SecondFactorForm
from kabinet.core.net import client_ip
from kabinet.core.wording import locked_message
from kabinet.identity import passkeys, second_factor

PASSKEY_NOT_ADDED = "Ключ доступа не добавлен. Попробуйте ещё раз."
PASSKEY_REFUSED = "Ключ доступа не подошёл. Попробуйте ещё раз или введите код."


@dataclass(frozen=True)
class Added:
    codes: list[str] | None  # recovery codes to show once, when the passkey was the first factor


def add_passkey(request: HttpRequest, page: Callable[..., HttpResponse]) -> HttpResponse | Added:
    """The refusal page, or what was added (the caller answers it)."""
    form = PasskeyForm(request.POST)
    if not form.is_valid():
        return page(400, passkey_form=form)
    data = form.cleaned_data
    check, codes = passkeys.register(request, data["name"], data["credential"], client_ip(request))
    if check.outcome is second_factor.Outcome.LOCKED:  # refused registrations count too
        form.add_error(None, locked_message(check.locked_until))
        return page(429, passkey_form=form)
    if check.outcome is not second_factor.Outcome.OK:
        form.add_error(None, PASSKEY_NOT_ADDED)
        return page(400, passkey_form=form)
    if not request.user.is_verified():
        second_factor.mark_verified(request, check.device)
    messages.success(request, f"Ключ доступа «{data['name']}» добавлен.")
    return Added(codes)


@dataclass(frozen=True)
class SignedIn:
    device: object  # the passkey's django-otp device
    remember: bool  # «Запомнить этот браузер»


def sign_in_with_passkey(
    request: HttpRequest, code_page: Callable[[SecondFactorForm], dict], template: str, *, site: str = ""
) -> HttpResponse | SignedIn:
    """The code page again with why the passkey was refused, or the passkey that verified (the
    caller marks the session and goes on). `code_page(form)` is the door's page context."""
    form = PasskeySignInForm(request.POST)
    answer = form.cleaned_data["credential"] if form.is_valid() else None
    check = passkeys.verify(request, answer, client_ip(request), site=site)
    if check.outcome is second_factor.Outcome.OK:
        return SignedIn(check.device, form.cleaned_data["remember"])
    locked = check.outcome is second_factor.Outcome.LOCKED
    context = code_page(SecondFactorForm(initial={"remember": bool(request.POST.get("remember"))}))
    context["passkey_error"] = locked_message(check.locked_until) if locked else PASSKEY_REFUSED
    return render(request, template, context, status=429 if locked else 400)
