"""«Подать жалобу на качество электроснабжения» (ПП № 55) and the complaint's PDF. The page
of a filed complaint is the appeal's page (portal.views.appeals)."""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from kabinet.appeals import complaints, services
from kabinet.appeals.files import receive_files
from kabinet.appeals.form_fields import valid_with_files
from kabinet.core.net import client_ip
from kabinet.core.storage import generated_download
from kabinet.identity.accounts import TooManyRequests
from kabinet.portal.access import customer_required
from kabinet.portal.complaint_forms import ComplaintForm, complaint_fields, unbound_complaint_fields

# Never in an error report: Django's 500 mail and debug page show POST data and locals.
SECRET_FIELDS = ("birth_date", "birth_place", "document_type", "document_series", "document_number")


@sensitive_post_parameters(*SECRET_FIELDS)
@sensitive_variables("form", "draft", "data")
@customer_required
def complaint_new(request: HttpRequest) -> HttpResponse:
    accounts = services.appeal_account_list(request.user)
    if request.method != "POST":
        # No form built: its fields are kept drawn, the customer's values written in (step 21).
        context = {
            "form": None,
            "fields": unbound_complaint_fields(request.user, accounts) if accounts else "",
            "has_accounts": bool(accounts),
        }
        return render(request, "portal/appeals/complaint_new.html", context)
    form = ComplaintForm(request.POST, request.FILES, user=request.user, accounts=accounts)
    received = receive_files(
        request.user, request.POST.getlist("keep"), request.FILES.getlist("files"), request.POST.getlist("offered")
    )
    if not valid_with_files(form, received.errors):
        return _page(request, form, received.uploads, status=400)
    data = form.cleaned_data
    draft = complaints.ComplaintDraft(
        account=data["account"],
        full_name=data["full_name"],
        residence=data["residence"],
        birth_date=data["birth_date"],
        birth_place=data["birth_place"],
        document_type=data["document_type"],
        document_series=data["document_series"],
        document_number=data["document_number"],
        organization=data["organization"],
        premises_address=data["premises_address"],
        violation_start=data["violation_start"],
        violation_end=None if data["ongoing"] else data["violation_end"],
        phone=data["phone"],
        email=data["email"],
        demands=data["demands"],
        contact_method=data["contact_method"],
        uploads=received.uploads,
    )
    try:
        complaints.check_contacts(request.user, draft, client_ip(request))
    except TooManyRequests as refused:
        form.add_error(refused.field, refused.message)
        return _page(request, form, received.uploads, status=refused.status)
    appeal = complaints.file_complaint(request.user, draft)
    return redirect("portal:appeal_created", number=appeal.number)


def _page(request, form, uploads, status) -> HttpResponse:
    """A refused form's page: its fields drawn from itself, its summary, «Ошибка: » in the title."""
    context = {
        "form": form,
        "fields": complaint_fields(form, uploads),
        "uploads": uploads,  # drawn in the fields
        "has_accounts": bool(form.fields["account"].rows),
    }
    return render(request, "portal/appeals/complaint_new.html", context, status=status)


@sensitive_variables("content")
@customer_required
def complaint_pdf(request: HttpRequest, number: str) -> FileResponse:
    content, filename = complaints.customer_complaint_pdf(request.user, number)
    return generated_download(content, filename, "application/pdf")
