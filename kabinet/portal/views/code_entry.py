"""The one «enter the SMS code» process (G5, G8, G12): the pending code kept in the session,
the code page, its check and «Отправить код повторно». Registration, recovery and the phone
change each describe only what differs in a CodeFlow (after django-allauth's
account/internal/flows/code_verification.py)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from kabinet.core.net import client_ip
from kabinet.identity import codes
from kabinet.identity.accounts import FieldRejected
from kabinet.identity.models import VerificationCode
from kabinet.identity.phones import mask_phone
from kabinet.portal.forms import CodeForm
from kabinet.portal.views.common import code_error, throttled_message

# Given the request, the pending code and what was typed, do what the code unlocks and say
# where to go next; or return the failed check. A FieldRejected is shown at the code field.
Unlock = Callable[[HttpRequest, VerificationCode, str], HttpResponse | codes.Check]


@dataclass(frozen=True)
class CodeFlow:
    purpose: str
    session_key: str
    title: str
    intro: str
    page: str  # URL names: the code page, its resend action, and where to go with nothing pending
    resend: str
    start: str
    unlock: Unlock
    own_code_only: bool = False  # the code must have been sent for the signed-in user


def begin(request: HttpRequest, flow: CodeFlow, code: VerificationCode) -> HttpResponse:
    """A code was sent: remember it and show its page."""
    request.session[flow.session_key] = code.token
    return redirect(flow.page)


def pending(request: HttpRequest, flow: CodeFlow) -> VerificationCode | None:
    token = request.session.get(flow.session_key)
    code = codes.find_open(token, flow.purpose) if token else None
    if code and flow.own_code_only and code.user_id != request.user.pk:
        return None
    return code


def confirm(request: HttpRequest, flow: CodeFlow) -> HttpResponse:
    """GET shows the code page; POST checks the code and, if right, unlocks what it is for."""
    code = pending(request, flow)
    if code is None:
        return redirect(flow.start)
    form = CodeForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _page(request, flow, code, form, status=400 if form.errors else 200)
    try:
        outcome = flow.unlock(request, code, form.cleaned_data["code"])
    except FieldRejected as rejected:  # the code was right but what it confirms is taken meanwhile
        form.add_error("code", rejected.message)
        return _page(request, flow, code, form, status=409)
    if isinstance(outcome, codes.Check):
        form.add_error("code", code_error(outcome))
        return _page(request, flow, code, form, status=400)
    request.session.pop(flow.session_key, None)
    return outcome


def resend(request: HttpRequest, flow: CodeFlow) -> HttpResponse:
    code = pending(request, flow)
    if code is None:
        return redirect(flow.start)
    try:
        new = codes.resend_code(code.token, ip=client_ip(request))
    except codes.CodeThrottled as throttled:
        notice = throttled_message(throttled.retry_at)
        return _page(request, flow, code, CodeForm(), status=429, notice=notice)
    return begin(request, flow, new)


def _page(
    request: HttpRequest, flow: CodeFlow, code: VerificationCode, form: CodeForm, status: int = 200, notice: str = ""
) -> HttpResponse:
    now = timezone.now()
    resend_at = codes.next_send_allowed_at(code.phone, client_ip(request)) or now
    context = {
        "form": form,
        "title": flow.title,
        "intro": flow.intro,
        "phone": mask_phone(code.phone),
        "expires_at": code.expires_at,
        "seconds_left": max(0, int((code.expires_at - now).total_seconds())),
        "resend_in": max(0, int((resend_at - now).total_seconds())),
        "resend_url": reverse(flow.resend),
        "notice": notice,
    }
    return render(request, "portal/code.html", context, status=status)
