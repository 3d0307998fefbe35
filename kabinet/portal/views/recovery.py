"""«Забыли пароль?» (G8): a code by SMS or a link by e-mail, then a new password."""

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from kabinet.core.net import client_ip
from kabinet.identity import codes, recovery
from kabinet.identity.accounts import FieldRejected
from kabinet.identity.models import User, VerificationCode
from kabinet.portal.forms import RecoveryForm, SetPasswordForm
from kabinet.portal.views import code_entry
from kabinet.portal.views.common import throttled_message

SESSION_TOKEN = "kabinet.reset.token"
SESSION_GRANT = "kabinet.reset.grant"
GRANT_TTL = timedelta(minutes=15)


def recover(request: HttpRequest) -> HttpResponse:
    form = RecoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel, value = form.cleaned_data["contact"]
        if channel == "email":
            try:
                recovery.start_email_reset(value, client_ip(request))
            except FieldRejected as rejected:  # too many requests
                form.add_error(rejected.field, rejected.message)
                return render(request, "portal/recover.html", {"form": form}, status=rejected.status)
            return render(request, "portal/recover_sent.html", {"email": value})
        try:
            code = recovery.start_phone_reset(value, client_ip(request))
        except codes.CodeThrottled as throttled:
            form.add_error("contact", throttled_message(throttled.retry_at))
        else:
            return code_entry.begin(request, CODE, code)
    return render(request, "portal/recover.html", {"form": form}, status=400 if form.errors else 200)


def _grant(request: HttpRequest, user: User, channel: str, link: tuple[str, str] = ("", "")) -> None:
    request.session[SESSION_GRANT] = {
        "user": user.pk,
        "channel": channel,
        "link": list(link),
        "until": (timezone.now() + GRANT_TTL).timestamp(),
    }


def _unlock(request: HttpRequest, code: VerificationCode, raw: str) -> HttpResponse | codes.Check:
    """A right code lets this browser set a new password for a while."""
    check = recovery.check_phone_reset(code.token, raw, client_ip(request))
    if check.result is not codes.CheckResult.OK:
        return check
    _grant(request, check.code.user, "phone")
    return redirect("portal:set_password")


CODE = code_entry.CodeFlow(
    purpose=VerificationCode.Purpose.RESET,
    session_key=SESSION_TOKEN,
    title="Восстановление пароля",
    intro="Если этот номер указан в личном кабинете, на него отправлен 6\u2011значный код.",
    page="portal:recover_code",
    resend="portal:recover_resend",
    start="portal:recover",
    unlock=_unlock,
)


def recover_code(request: HttpRequest) -> HttpResponse:
    return code_entry.confirm(request, CODE)


@require_POST
def recover_resend(request: HttpRequest) -> HttpResponse:
    return code_entry.resend(request, CODE)


def reset_by_link(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = recovery.user_for_link(uidb64, token)
    if user is None:
        return render(request, "portal/link_invalid.html", status=400)
    _grant(request, user, "email", link=(uidb64, token))
    return redirect("portal:set_password")


def _granted_user(request: HttpRequest) -> User | None:
    grant = request.session.get(SESSION_GRANT)
    if not grant or grant["until"] < timezone.now().timestamp():
        return None
    if grant["channel"] == "email":
        # The link works once: it stops checking as soon as the password changes.
        return recovery.user_for_link(*grant["link"])
    return User.objects.filter(pk=grant["user"], is_active=True).first()


@sensitive_post_parameters("password", "password2")
def set_password(request: HttpRequest) -> HttpResponse:
    user = _granted_user(request)
    if user is None:
        request.session.pop(SESSION_GRANT, None)
        return render(request, "portal/link_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel = request.session.pop(SESSION_GRANT)["channel"]
        recovery.set_new_password(user, form.cleaned_data["password"], client_ip(request), channel=channel)
        messages.success(request, "Пароль изменён. Войдите с новым паролем.")
        return redirect("portal:login")
    return render(request, "portal/set_password.html", {"form": form}, status=400 if form.errors else 200)
