"""Registration (G4–G7): the form, the SMS code, automatic login."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from kabinet.billing.registry import RegistryUnavailable
from kabinet.core.net import client_ip
from kabinet.core.ratelimit import Locked
from kabinet.core.wording import locked_message
from kabinet.identity import codes
from kabinet.identity.accounts import FieldRejected
from kabinet.identity.models import User, VerificationCode
from kabinet.identity.registration import (
    RegistrationData,
    complete_registration,
    current_consent,
    start_registration,
)
from kabinet.portal.access import is_customer_session
from kabinet.portal.forms import RegistrationForm
from kabinet.portal.views import code_entry
from kabinet.portal.views.auth import sign_in
from kabinet.portal.views.common import throttled_message

SESSION_TOKEN = "kabinet.register.token"
SESSION_FORM = "kabinet.register.form"


def _data(form: RegistrationForm) -> RegistrationData:
    cleaned = form.cleaned_data
    return RegistrationData(
        region=cleaned["region"],
        account_number=cleaned["account_number"],
        house=cleaned["house"],
        phone=cleaned["phone"],
        email=cleaned["email"],
        password=cleaned["password"],
        first_name=cleaned["first_name"],
        last_name=cleaned["last_name"],
    )


def _start(request: HttpRequest, form: RegistrationForm) -> tuple[HttpResponse | None, dict | None]:
    """Send the code; on a refusal put the message at its field and say what else to show."""
    try:
        code = start_registration(_data(form), client_ip(request))
    except FieldRejected as rejected:
        form.add_error(rejected.field, rejected.message)
        if rejected.status != 400:  # too many requests: the page says so with its status
            return None, {"status": rejected.status}
    except RegistryUnavailable:
        return None, {"kind": "object_not_found", "region": form.cleaned_data["region"]}
    except Locked as locked:
        form.add_error(None, locked_message(locked.until))
    except codes.CodeThrottled as throttled:
        form.add_error("phone", throttled_message(throttled.retry_at))
    else:
        # What was typed (but never the password) comes back if the customer returns to the form.
        request.session[SESSION_FORM] = {
            k: v for k, v in form.data.items() if "password" not in k and k != "csrfmiddlewaretoken"
        }
        return code_entry.begin(request, CODE, code), None
    return None, None


@sensitive_post_parameters("password", "password2")
def register(request: HttpRequest) -> HttpResponse:
    if is_customer_session(request):
        return redirect("portal:home")
    if request.method == "POST":
        form = RegistrationForm(request.POST)
    else:
        form = RegistrationForm(initial=request.session.get(SESSION_FORM))
    problem = None
    if request.method == "POST" and form.is_valid():
        response, problem = _start(request, form)
        if response:
            return response
    context = {"form": form, "problem": problem, "consent": current_consent()}
    status = (problem or {}).get("status") or (400 if form.errors else 200)
    return render(request, "portal/register.html", context, status=status)


def _unlock(request: HttpRequest, code: VerificationCode, raw: str) -> HttpResponse | codes.Check:
    """A right code creates the user and logs them in."""
    try:
        check, user = complete_registration(code.token, raw, client_ip(request))
    except FieldRejected as rejected:
        # Taken meanwhile: back to the form, with the message where it belongs.
        form = RegistrationForm(request.session.get(SESSION_FORM))
        form.is_valid()
        form.add_error(rejected.field, rejected.message)
        return render(request, "portal/register.html", {"form": form, "consent": current_consent()}, status=409)
    if user is None:
        return check
    request.session.pop(SESSION_FORM, None)
    sign_in(request, user)
    messages.success(request, welcome(user))
    return redirect("portal:home")


def welcome(user: User) -> str:
    """The message home shows once after registration, with the name just given."""
    name = user.get_full_name()
    return f"Регистрация завершена{', ' + name if name else ''}. Вы вошли в личный кабинет."


CODE = code_entry.CodeFlow(
    purpose=VerificationCode.Purpose.REGISTER,
    session_key=SESSION_TOKEN,
    title="Подтверждение телефона",
    intro="На указанный при регистрации мобильный телефон отправлен 6\u2011значный проверочный код.",
    page="portal:register_confirm",
    resend="portal:register_resend",
    start="portal:register",
    unlock=_unlock,
)


def register_confirm(request: HttpRequest) -> HttpResponse:
    return code_entry.confirm(request, CODE)


@require_POST
def register_resend(request: HttpRequest) -> HttpResponse:
    return code_entry.resend(request, CODE)
