"""The operators' back office: sign-in, the queue, an appeal's page and its actions.

Views parse forms and present results; who may see and do what lives in
kabinet.appeals.operators.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from kabinet.appeals import complaints, operators
from kabinet.appeals.files import receive_files
from kabinet.appeals.form_fields import valid_with_files
from kabinet.appeals.models import AppealKind, Status
from kabinet.appeals.services import AppealRefused
from kabinet.backoffice.forms import (
    ForwardForm,
    NoteForm,
    QueueFilterForm,
    ReassignForm,
    ReplyForm,
    StaffLoginForm,
    StatusForm,
)
from kabinet.backoffice.history import history_lines
from kabinet.core import audit
from kabinet.core.models import AuditEvent
from kabinet.core.net import client_ip, return_path
from kabinet.core.storage import generated_download, private_download
from kabinet.core.wording import locked_message
from kabinet.identity import second_factor
from kabinet.identity.doors import Door, came_through, enter
from kabinet.identity.login import Outcome

INVALID = "Неверный e-mail, телефон или пароль. Бэк-офис открыт только сотрудникам."
QUEUE_PAGE = 50


def staff_required(view):
    """Only employees with a back-office role who signed in at the back office's own door;
    anyone else (a session from the customers' login too) goes to the staff sign-in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        role = operators.staff_role(request.user) if came_through(request, Door.BACKOFFICE) else None
        if role is None:
            back = return_path(request, reverse("backoffice:queue"))
            return redirect(f"{reverse('backoffice:login')}?{urlencode({'next': back})}")
        request.staff_role = role
        return view(request, *args, **kwargs)

    return wrapper


@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    form = StaffLoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = operators.sign_in_staff(
            form.cleaned_data["identifier"], form.cleaned_data["password"], client_ip(request)
        )
        if result.outcome is Outcome.OK:
            enter(request, result.user, Door.BACKOFFICE)
            owed = second_factor.login_details(result.user)
            audit.record(AuditEvent.Action.LOGIN, request=request, user=result.user, site="backoffice", **owed)
            second_factor.admit_remembered(request, result.user)  # else the code page (identity.middleware)
            return redirect(_safe_next(request) or "backoffice:queue")
        status = 429 if result.outcome is Outcome.LOCKED else 400
        form.add_error(None, locked_message(result.locked_until) if status == 429 else INVALID)
    is_customer = request.user.is_authenticated and operators.staff_role(request.user) is None
    context = {"form": form, "is_customer": is_customer, "next": _safe_next(request)}
    return render(request, "backoffice/login.html", context, status=status)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if target.startswith("/backoffice/") else ""


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record(AuditEvent.Action.LOGOUT, request=request, user=request.user, site="backoffice")
    logout(request)
    return redirect("backoffice:login")


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    role = request.staff_role
    form = QueueFilterForm(request.GET or None, regions=role.regions.all())
    filters = form.cleaned_data if form.is_valid() else {}
    appeals = operators.visible_appeals(role)
    scoped = _scope(appeals, filters, role)
    listed = _listed(scoped, filters).order_by(filters.get("sort") or "deadline", "pk")
    page = Paginator(listed, QUEUE_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    context = {
        "form": form,
        "page": page,
        "counts": [(Status(s), n) for s, n in operators.status_counts(scoped).items()],
        "overdue_count": scoped.overdue().count(),
        "query": query + "&" if query else "",
    }
    return render(request, "backoffice/queue.html", context)


def _listed(scoped, filters: dict):
    """The chosen status, else the open appeals; «Нужно отправить письмо» also lists answered
    and closed ones, since a letter is due after the answer."""
    if filters.get("status"):
        return scoped.filter(status=filters["status"])
    return scoped if filters.get("letters") else scoped.open()


def _scope(appeals, filters: dict, role):
    """The filters other than status: the status counts are taken over this set."""
    if filters.get("region"):
        appeals = appeals.filter(region=filters["region"])
    if filters.get("topic"):
        appeals = appeals.filter(topic=filters["topic"])
    if filters.get("assignee") == "me":
        appeals = appeals.filter(assignee=role.user)
    elif filters.get("assignee") == "none":
        appeals = appeals.filter(assignee__isnull=True)
    if filters.get("overdue"):
        appeals = appeals.overdue()
    if filters.get("complaints"):
        appeals = appeals.filter(kind=AppealKind.COMPLAINT)
    if filters.get("letters"):
        appeals = complaints.letters_due(appeals)
    return appeals


@staff_required
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    return _appeal_page(request, pk)


# The context holds a complaint's decrypted rows: never in an error report.
@sensitive_variables("context")
def _appeal_page(request: HttpRequest, pk: int, status: int = 200, **forms) -> HttpResponse:
    role = request.staff_role
    item = operators.staff_appeal(role, pk)
    may_act = item.assignee_id == role.user_id or role.is_supervisor
    complaint_rows = complaints.staff_rows(role, item)  # records this read: the history shows it
    context = {
        "appeal": item,
        "role": role,
        "messages_list": item.messages.select_related("author").prefetch_related("attachments"),
        "files": item.attachments.filter(message__isnull=True),
        "history": history_lines(item.events.select_related("actor")),
        "may_act": may_act,
        "may_take": operators.may_take(item),
        "may_forward": may_act and complaints.may_forward(item),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "status_form": forms.get("status_form") or StatusForm(allowed=operators.TRANSITIONS[item.status]),
        "reassign_form": ReassignForm(
            colleagues=operators.colleagues(role, item), initial={"assignee": item.assignee_id}
        ),
        "uploads": forms.get("uploads", []),
        "note_uploads": forms.get("note_uploads", []),
        "complaint_rows": complaint_rows,
        "letter_due": complaints.letter_due(item),
        "answer_letter": complaints.answer_letter(item),
        "forward_form": forms.get("forward_form") or _forward_form(item),
    }
    return render(request, "backoffice/appeal.html", context, status=status)


def _forward_form(item) -> ForwardForm:
    """Empty, or the forwarding as recorded, for «Исправить»."""
    found = getattr(item, "complaint", None) if item.kind == AppealKind.COMPLAINT else None
    if found is None or not found.forwarded_on:
        return ForwardForm()
    return ForwardForm(
        initial={"on": found.forwarded_on, "company": found.network_company, "reference": found.network_reference}
    )


def _done(request: HttpRequest, pk: int, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("backoffice:appeal", pk=pk)


def _refused(request: HttpRequest, pk: int, refused: AppealRefused) -> HttpResponse:
    messages.error(request, str(refused))
    return redirect("backoffice:appeal", pk=pk)


@require_POST
@staff_required
def take(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        operators.take(request.staff_role, pk)
    except AppealRefused as refused:
        return _refused(request, pk, refused)
    return _done(request, pk, "Обращение взято в работу.")


@require_POST
@staff_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReplyForm(request.POST, request.FILES)
    received = receive_files(
        request.user, request.POST.getlist("keep"), request.FILES.getlist("files"), request.POST.getlist("offered")
    )
    if not valid_with_files(form, received.errors):
        return _appeal_page(request, pk, 400, reply_form=form, uploads=received.uploads)
    data = operators.Reply(text=form.cleaned_data["text"], status=form.cleaned_data["status"], uploads=received.uploads)
    try:
        operators.reply(request.staff_role, pk, data)
    except AppealRefused as refused:
        form.add_error(None, str(refused))
        return _appeal_page(request, pk, 400, reply_form=form, uploads=received.uploads)
    return _done(request, pk, "Ответ отправлен клиенту.")


@require_POST
@staff_required
def note(request: HttpRequest, pk: int) -> HttpResponse:
    form = NoteForm(request.POST, request.FILES)
    received = receive_files(
        request.user, request.POST.getlist("keep"), request.FILES.getlist("files"), request.POST.getlist("offered")
    )
    if not valid_with_files(form, received.errors):
        return _appeal_page(request, pk, 400, note_form=form, note_uploads=received.uploads)
    operators.add_note(request.staff_role, pk, form.cleaned_data["text"], received.uploads)
    return _done(request, pk, "Заметка сохранена.")


@require_POST
@staff_required
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A close that leaves the customer without an answer comes back asking for «Закрыть без
    ответа» (operators decides when); nothing is changed until it is ticked."""
    item = operators.staff_appeal(request.staff_role, pk)
    ask = operators.closes_without_answer(item, request.POST.get("status", ""))
    form = StatusForm(request.POST, allowed=operators.TRANSITIONS[item.status], ask_to_confirm=ask)
    if not form.is_valid():
        return _appeal_page(request, pk, 400, status_form=form)
    data = form.cleaned_data
    try:
        operators.change_status(
            request.staff_role, pk, data["status"], without_answer=data.get("without_answer", False)
        )
    except operators.CloseWithoutAnswer as asked:
        form.refuse_unconfirmed(asked)
        return _appeal_page(request, pk, 400, status_form=form)
    except AppealRefused as refused:
        return _refused(request, pk, refused)
    return _done(request, pk, "Состояние изменено.")


@require_POST
@staff_required
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        operators.reassign(request.staff_role, pk, int(request.POST.get("assignee", "0") or 0))
    except (AppealRefused, ValueError) as refused:
        return _refused(request, pk, AppealRefused(str(refused)))
    return _done(request, pk, "Исполнитель назначен.")


@staff_required
def attachment(request: HttpRequest, pk: int, attachment_id: int):
    found = operators.staff_attachment(request.staff_role, pk, attachment_id)
    return private_download(found.file, found.name, found.content_type)


@require_POST
@staff_required
def forward(request: HttpRequest, pk: int) -> HttpResponse:
    form = ForwardForm(request.POST)
    if not form.is_valid():
        return _appeal_page(request, pk, 400, forward_form=form)
    data = complaints.Forwarding(**form.cleaned_data)
    try:
        complaints.forward(request.staff_role, pk, data)
    except AppealRefused as refused:
        form.add_error(None, str(refused))
        return _appeal_page(request, pk, 400, forward_form=form)
    return _done(request, pk, "Жалоба отмечена как переданная в сетевую организацию.")


@require_POST
@staff_required
def letter_sent(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        complaints.letter_sent(request.staff_role, pk)
    except AppealRefused as refused:
        return _refused(request, pk, refused)
    return _done(request, pk, "Отмечено: письмо с ответом отправлено.")


@sensitive_variables("content")
@staff_required
def complaint_pdf(request: HttpRequest, pk: int):
    content, filename = complaints.staff_complaint_pdf(request.staff_role, pk)
    return generated_download(content, filename, "application/pdf")


@staff_required
def answer_letter_pdf(request: HttpRequest, pk: int):
    content, filename = complaints.staff_answer_letter_pdf(request.staff_role, pk)
    return generated_download(content, filename, "application/pdf")
