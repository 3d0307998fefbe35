"""The step both doors take when a signed-in person adds a passkey: the form checked, the
registration refused or done, the session verified by the new key. Each door draws its own
page around it (`page(status, **context)`) and decides where to go afterwards."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from kabinet.core.forms import PasskeyForm
from kabinet.core.net import client_ip
from kabinet.core.wording import locked_message
from kabinet.identity import passkeys, second_factor

PASSKEY_NOT_ADDED = "Ключ доступа не добавлен. Попробуйте ещё раз."


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
