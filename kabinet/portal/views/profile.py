"""The profile (G12): names, e-mail, phone, password, personal accounts."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from kabinet.billing.registry import RegistryUnavailable, default_region
from kabinet.core.net import client_ip
from kabinet.core.ratelimit import Locked
from kabinet.core.wording import locked_message
from kabinet.identity import codes, profile
from kabinet.identity.accounts import FieldRejected
from kabinet.identity.email_confirmation import AnotherUsersLink
from kabinet.identity.factors import factor_on
from kabinet.identity.models import VerificationCode
from kabinet.identity.phones import display_phone
from kabinet.portal import profile_forms
from kabinet.portal.access import customer_required
from kabinet.portal.forms import AddAccountForm, ChangePasswordForm, EmailForm, NamesForm, PhoneForm
from kabinet.portal.views import code_entry
from kabinet.portal.views.common import throttled_message

SESSION_PHONE_TOKEN = "kabinet.phone.token"


def _page(
    request: HttpRequest, status: int = 200, names_form: NamesForm | None = None, email_form: EmailForm | None = None
) -> HttpResponse:
    """«Профиль»; a refused names' or e-mail's form is drawn with its errors and values typed."""
    user = request.user
    links, facts = profile.profile_reads(user)
    context = {
        # The forms only when refused: their summaries and «Ошибка: » in the title come from them.
        "names_form": names_form,
        "names_fields": profile_forms.names_fields(names_form, user.first_name, user.last_name),
        "email_form": email_form,
        "email_field": profile_forms.email_field(email_form),
        "email": user.email,
        "email_pending": facts.pending_email,
        "phone_display": display_phone(user.phone) if user.phone else "",
        "links": links,
        "token_count": facts.token_count,
        # Read with the user at the start of the request (identity.factors): no query of its own.
        "second_factor_on": factor_on(user),
    }
    return render(request, "portal/profile.html", context, status=status)


@customer_required
def profile_view(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@customer_required
def names(request: HttpRequest) -> HttpResponse:
    form = NamesForm(request.POST)
    if form.is_valid():
        try:
            profile.update_names(
                request.user, form.cleaned_data["first_name"], form.cleaned_data["last_name"], client_ip(request)
            )
        except FieldRejected as rejected:
            form.add_error(rejected.field, rejected.message)
    if form.errors:
        return _page(request, 400, names_form=form)
    messages.success(request, "Имя и фамилия сохранены.")
    return redirect("portal:profile")


@require_POST
@customer_required
def email(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            profile.request_email_change(request.user, form.cleaned_data["email"], default_region(), client_ip(request))
        except FieldRejected as rejected:
            form.add_error(rejected.field, rejected.message)
            status = rejected.status
        else:
            messages.success(
                request,
                f"На адрес {form.cleaned_data['email']} отправлено письмо со ссылкой. "
                "E-mail будет сохранён, когда вы откроете ссылку.",
            )
            return redirect("portal:profile")
    return _page(request, status, email_form=form)


@require_POST
@customer_required
def email_resend(request: HttpRequest) -> HttpResponse:
    pending = profile.pending_email(request.user)
    if pending is None:  # confirmed or voided meanwhile: the profile says which
        return redirect("portal:profile")
    try:
        row = profile.resend_email_link(request.user, client_ip(request))
    except FieldRejected as rejected:
        form = EmailForm({"email": pending.address})
        form.is_valid()
        form.add_error(rejected.field, rejected.message)
        return _page(request, rejected.status, email_form=form)
    messages.success(
        request, f"На адрес {row.address} отправлено новое письмо со ссылкой; прежняя ссылка больше не действует."
    )
    return redirect("portal:profile")


@customer_required
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    # Only in the session of the user the link was sent to: a link reaching someone else's
    # mailbox (a mistyped address) gives them nothing.
    try:
        profile.confirm_email(request.user, token, client_ip(request))
    except FieldRejected as rejected:
        context = {"reason": rejected.message, "another_user": isinstance(rejected, AnotherUsersLink)}
        return render(request, "portal/email_link_invalid.html", context, status=400)
    messages.success(request, "E-mail подтверждён и сохранён в профиле.")
    return redirect("portal:profile")


@customer_required
def phone(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST or None)
    status = 400
    if request.method == "POST" and form.is_valid():
        try:
            code = profile.request_phone_change(request.user, form.cleaned_data["phone"], client_ip(request))
        except FieldRejected as rejected:
            form.add_error(rejected.field, rejected.message)
            status = rejected.status
        except codes.CodeThrottled as throttled:
            form.add_error("phone", throttled_message(throttled.retry_at))
        else:
            return code_entry.begin(request, PHONE_CODE, code)
    return render(request, "portal/phone.html", {"form": form}, status=status if form.errors else 200)


def _unlock_phone(request: HttpRequest, code: VerificationCode, raw: str) -> HttpResponse | codes.Check:
    """A right code from the new number makes it the profile's phone."""
    check = profile.confirm_phone_change(request.user, code.token, raw, client_ip(request))
    if check.result is not codes.CheckResult.OK:
        return check
    messages.success(request, "Новый номер телефона подтверждён и сохранён.")
    return redirect("portal:profile")


PHONE_CODE = code_entry.CodeFlow(
    purpose=VerificationCode.Purpose.PHONE_CHANGE,
    session_key=SESSION_PHONE_TOKEN,
    title="Подтверждение нового телефона",
    intro="На новый номер отправлен 6\u2011значный проверочный код.",
    page="portal:phone_confirm",
    resend="portal:phone_resend",
    start="portal:phone",
    unlock=_unlock_phone,
    own_code_only=True,
)


@customer_required
def phone_confirm(request: HttpRequest) -> HttpResponse:
    return code_entry.confirm(request, PHONE_CODE)


@require_POST
@customer_required
def phone_resend(request: HttpRequest) -> HttpResponse:
    return code_entry.resend(request, PHONE_CODE)


@sensitive_post_parameters("old_password", "password", "password2")
@customer_required
def password(request: HttpRequest) -> HttpResponse:
    form = ChangePasswordForm(request.user, request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile.change_password(request.user, data["old_password"], data["password"], client_ip(request))
        except FieldRejected as rejected:
            form.add_error(rejected.field, rejected.message)
        except Locked as locked:
            form.add_error(None, locked_message(locked.until))
            status = 429
        else:
            # Keep this session; every other session of the user ends with the old hash.
            update_session_auth_hash(request, request.user)
            messages.success(request, "Пароль изменён. На других устройствах потребуется войти заново.")
            return redirect("portal:profile")
    status = status if status != 200 or not form.errors else 400
    return render(request, "portal/password.html", {"form": form}, status=status)


@customer_required
def add_account(request: HttpRequest) -> HttpResponse:
    form = AddAccountForm(request.POST) if request.POST else None  # an empty POST is shown as a GET
    problem = None
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            account = profile.add_account(
                request.user, data["region"], data["account_number"], data["house"], client_ip(request)
            )
        except FieldRejected as rejected:
            form.add_error(rejected.field, rejected.message)
        except Locked as locked:
            form.add_error(None, locked_message(locked.until))
        except RegistryUnavailable:
            problem = {"kind": "object_not_found", "region": data["region"]}
        else:
            messages.success(request, f"Лицевой счёт {account.number} добавлен.")
            return redirect("portal:profile")
    # Unbound, the fields are drawn once per process for the regions read (portal.profile_forms).
    context = {"form": form, "fields": profile_forms.add_account_fields(form), "problem": problem}
    return render(request, "portal/add_account.html", context, status=400 if form is not None and form.errors else 200)


@require_safe
@customer_required
def confirm_remove_account(request: HttpRequest, link_id: int) -> HttpResponse:
    """«Удалить» asks first and says what goes; the button there posts to remove_account."""
    link = profile.user_account(request.user, link_id)
    if link is None:
        raise Http404
    return render(request, "portal/remove_account.html", {"link": link})


@require_POST
@customer_required
def remove_account(request: HttpRequest, link_id: int) -> HttpResponse:
    if not profile.remove_account(request.user, link_id, client_ip(request)):
        raise Http404
    messages.success(request, "Лицевой счёт удалён из профиля.")
    return redirect("portal:profile")
