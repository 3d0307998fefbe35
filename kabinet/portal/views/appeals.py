"""«Обращения» (G14–G16): «Создать обращение», «Мои обращения», an appeal's page, its files."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from kabinet.appeals import complaints, notify, services, taxonomy
from kabinet.appeals.files import receive_files
from kabinet.appeals.form_fields import valid_with_files
from kabinet.billing.registry import default_region
from kabinet.core.net import client_ip
from kabinet.core.storage import private_download
from kabinet.identity import profile
from kabinet.identity.accounts import FieldRejected
from kabinet.portal.access import customer_required
from kabinet.portal.appeal_forms import (
    AppealForm,
    MessageForm,
    message_fields,
    new_appeal_fields,
    refused_appeal_fields,
    status_filter,
)
from kabinet.portal.fragments import appeal_list_html, appeal_thread_html


@customer_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    """«Мои обращения»: newest first, filterable by status, paginated."""
    status, status_field, status_form = status_filter(request.GET)
    page = services.customer_appeal_page(
        request.user, status, request.GET.get("page"), settings.KABINET_APPEALS_PER_PAGE
    )
    query = urlencode({"status": status}) + "&" if status else ""
    context = {
        "page": page,
        "status_field": status_field,
        "status_form": status_form,  # when the filter was refused: the title says «Ошибка: »
        "status": status,
        "query": query,
        # The rows, their pages or the empty state: kept rendered (portal.fragments).
        "list_html": appeal_list_html(request.user, page, status, query),
    }
    return render(request, "portal/appeals/list.html", context)


@customer_required
def appeal_new(request: HttpRequest) -> HttpResponse:
    """«Создать обращение». Good files are kept on the server across errors and offered
    again as «уже приложены», so nothing the customer attached is lost."""
    email_known = bool(request.user.email)
    if request.method != "POST":
        # The accounts with the taxonomy's digest, one statement; the form's fields below the
        # account's are kept drawn under that digest (docs/performance.md step 21).
        facts = services.new_appeal_facts(request.user)
        fields = new_appeal_fields(facts, email_known) if facts.accounts else ""  # else no form
        return _new_page(request, None, fields, has_accounts=bool(facts.accounts))
    # What the form offers, read once (compiled) and the only values it takes.
    offered = {"accounts": services.appeal_account_list(request.user), "taxonomy": taxonomy.appeal_taxonomy()}
    form = AppealForm(request.POST, request.FILES, email_known=email_known, **offered)
    received = receive_files(
        request.user, request.POST.getlist("keep"), request.FILES.getlist("files"), request.POST.getlist("offered")
    )
    if not valid_with_files(form, received.errors):
        return _refused_new_page(request, form, received.uploads)
    email = form.cleaned_data.get("email")
    if email:
        try:
            profile.request_email_change(request.user, email, default_region(), client_ip(request))
        except FieldRejected as rejected:
            form.add_error("email", rejected.message)
            return _refused_new_page(request, form, received.uploads)
    draft = services.AppealDraft(
        account=form.cleaned_data["account"],
        reason=form.cleaned_data["reason"],
        text=form.cleaned_data["text"],
        contact_method=form.cleaned_data["contact_method"],
        uploads=received.uploads,
    )
    appeal = services.submit_appeal(request.user, draft)
    return redirect("portal:appeal_created", number=appeal.number)


def _refused_new_page(request, form: AppealForm, uploads) -> HttpResponse:
    fields = refused_appeal_fields(form, uploads)
    return _new_page(request, form, fields, uploads, has_accounts=bool(form.fields["account"].rows), status=400)


def _new_page(request, form: AppealForm | None, fields, uploads=(), *, has_accounts: bool, status=200) -> HttpResponse:
    """`form`: a refused form (in the context only then: its summary, «Ошибка: » in the title);
    `uploads`: the files it keeps (drawn in `fields`)."""
    context = {"form": form, "fields": fields, "uploads": uploads, "has_accounts": has_accounts}
    return render(request, "portal/appeals/new.html", context, status=status)


@customer_required
def appeal_created(request: HttpRequest, number: str) -> HttpResponse:
    appeal = services.customer_appeal(request.user, number)
    channel, address = notify.recipient(appeal)
    context = {"appeal": appeal, "channel": channel, "address": address, "by_letter": notify.by_letter(appeal)}
    return render(request, "portal/appeals/created.html", context)


@customer_required
def appeal_detail(request: HttpRequest, number: str) -> HttpResponse:
    # No forms built for a GET: its fields are drawn unbound (message_fields, rating_offer).
    return _detail_page(request, number, None, [])


# The context holds a complaint's decrypted rows: never in an error report.
@sensitive_variables("context")
def _detail_page(request, number: str, form, uploads, status=200, rating_form=None) -> HttpResponse:
    """`form`, `rating_form`: the message's or the rating's form as refused, or None (unbound)."""
    detail = services.customer_appeal_detail(request.user, number)
    appeal = detail.appeal
    # The documents, the conversation and the history: kept drawn under their rows' digest.
    files_html, conversation_html, history_html = appeal_thread_html(appeal)
    context = {
        "appeal": appeal,
        "files_html": files_html,
        "conversation_html": conversation_html,
        "history_html": history_html,
        "can_write": services.can_write(appeal),
        "rating_offer": detail.offer,
        "rating_form": rating_form,
        "form": form,
        "message_fields": message_fields(form, uploads),
        "complaint_rows": complaints.rows(appeal),
    }
    return render(request, "portal/appeals/detail.html", context, status=status)


def appeal_page(request: HttpRequest, number: str, *, rating_form, status: int) -> HttpResponse:
    """The appeal's page with the rating form as the customer sent it (its refusals at its fields)."""
    return _detail_page(request, number, None, [], status=status, rating_form=rating_form)


@require_POST
@customer_required
def appeal_message(request: HttpRequest, number: str) -> HttpResponse:
    services.customer_appeal(request.user, number)  # someone else's: 404 before the files are received
    form = MessageForm(request.POST, request.FILES)
    received = receive_files(
        request.user, request.POST.getlist("keep"), request.FILES.getlist("files"), request.POST.getlist("offered")
    )
    if not valid_with_files(form, received.errors):
        return _detail_page(request, number, form, received.uploads, status=400)
    try:
        services.add_customer_message(request.user, number, form.cleaned_data["text"], received.uploads)
    except services.AppealRefused as refused:
        form.add_error(None, str(refused))
        return _detail_page(request, number, form, received.uploads, status=400)
    messages.success(request, "Сообщение отправлено.")
    return redirect("portal:appeal", number=number)


@customer_required
def appeal_file(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    attachment = services.customer_attachment(request.user, number, attachment_id)
    # The safe stored name and the type found in the content, never the customer's own.
    return private_download(attachment.file, attachment.name, attachment.content_type)
