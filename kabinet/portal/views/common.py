"""Helpers the portal's views share: messages for locks and codes, the code-entry page."""

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format

from kabinet.core.net import client_ip
from kabinet.core.wording import locked_message
from kabinet.identity import codes
from kabinet.identity.models import VerificationCode
from kabinet.identity.phones import mask_phone
from kabinet.portal.forms import CodeForm


def ip(request: HttpRequest) -> str:
    return client_ip(request)


def throttled_message(retry_at: datetime) -> str:
    return f"Новый код можно будет запросить после {date_format(timezone.localtime(retry_at), 'H:i:s')}."


def code_error(check: codes.Check) -> str:
    result = check.result
    if result is codes.CheckResult.WRONG:
        return f"Неверный код. Осталось попыток: {check.attempts_left}."
    if result is codes.CheckResult.EXPIRED:
        return "Срок действия кода истёк (10 минут). Нажмите «Отправить код повторно»."
    if result is codes.CheckResult.EXHAUSTED:
        return "Код введён неверно слишком много раз. Нажмите «Отправить код повторно»."
    if result is codes.CheckResult.LOCKED:
        return locked_message(check.locked_until)
    return "Этот код больше не действует. Запросите новый код."


def render_code_page(
    request: HttpRequest,
    code: VerificationCode,
    form: CodeForm,
    *,
    title: str,
    intro: str,
    resend_url: str,
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    now = timezone.now()
    resend_at = codes.next_send_allowed_at(code.phone, ip(request)) or now
    context = {
        "form": form,
        "title": title,
        "intro": intro,
        "phone": mask_phone(code.phone),
        "expires_at": code.expires_at,
        "seconds_left": max(0, int((code.expires_at - now).total_seconds())),
        "resend_in": max(0, int((resend_at - now).total_seconds())),
        "resend_url": resend_url,
        "notice": notice,
    }
    return render(request, "portal/code.html", context, status=status)
