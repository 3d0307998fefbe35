"""Appeals («Обращения»): the topics and reasons to choose from, the customer's appeals with
their conversation, files to download with the token, a new appeal and a reply — with files.

The rules are kabinet.appeals' (the taxonomy, the text and file limits, who may still write);
this router only carries what the customer sent in and the answers out, as the «Обращения»
pages do. Unlike a page, which keeps good files across a form's errors, the API is all or
nothing: a request with any error is refused before a single file is stored.

Reads take either token (a personal one sees only the appeals of its accounts); writes need a
sign-in's access token — an appeal is a legal request, not something for a home-automation
token, even one allowed to submit readings (docs/api.md)."""

from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile

from kabinet.api.access import accounts_of
from kabinet.api.auth import access_token_auth
from kabinet.api.caching import etag
from kabinet.api.ids import ObjectId
from kabinet.api.pagination import Pagination, paginate
from kabinet.api.problems import ApiProblem
from kabinet.api.schemas import problem_responses
from kabinet.appeals import complaints, services, taxonomy
from kabinet.appeals.files import ALLOWED, limits, refusals, store_upload
from kabinet.appeals.models import Appeal, Attachment, ContactMethod, Message
from kabinet.appeals.models import Status as AppealStatus
from kabinet.core.storage import private_download

router = Router(tags=["Обращения"])

NOT_FOUND = "Обращение не найдено."
FILE_NOT_FOUND = "Файл не найден."
NOT_SAVED = "Проверьте обращение: ничего не сохранено."
REQUIRED = "Обязательное поле."
NUMBER = Path(..., pattern=r"^[0-9A-Za-z-]{1,32}$", description="Регистрационный номер", examples=["66-2026-000123"])

# --- The taxonomy -----------------------------------------------------------------------------


class ReasonOut(Schema):
    id: int
    name: str
    documents_hint: str = Field(description="Какие документы приложить; пусто, если ничего не нужно")
    answer_days: int = Field(description="Срок ответа, рабочих дней со дня регистрации")
    account_required: bool = Field(description="Нужен лицевой счёт (обращение всегда по счёту)")
    files_required: bool = Field(description="Файлы обязательны (ни одна причина их не требует: они помогают)")


class TopicOut(Schema):
    id: int
    name: str
    reasons: list[ReasonOut]


class LimitsOut(Schema):
    text_max: int = Field(description="Наибольшая длина текста, символов")
    files: int = Field(description="Сколько файлов можно приложить к обращению или сообщению")
    file_mb: int = Field(description="Наибольший размер файла, МБ")
    total_mb: int = Field(description="Наибольший размер всех файлов вместе, МБ")
    content_types: list[str] = Field(description="Какие файлы принимаются (по содержимому, не по имени)")


class TopicsOut(Schema):
    topics: list[TopicOut]
    limits: LimitsOut


def limits_out() -> LimitsOut:
    limit = limits()
    return LimitsOut(
        text_max=settings.KABINET_APPEAL_TEXT_MAX,
        files=limit.files,
        file_mb=limit.file_mb,
        total_mb=limit.total_mb,
        content_types=list(ALLOWED),
    )


@router.get(
    "/appeals/topics",
    response={200: TopicsOut, **problem_responses(401, 429)},
    summary="Темы и причины обращений",
    description="Из чего выбирать при создании обращения, и ограничения текста и файлов.",
)
@etag
def list_topics(request: HttpRequest):
    topics = [
        TopicOut(
            id=topic.pk,
            name=topic.name,
            reasons=[
                ReasonOut(
                    id=reason.pk,
                    name=reason.name,
                    documents_hint=reason.documents_hint,
                    answer_days=reason.answer_days,
                    account_required=True,
                    files_required=False,
                )
                for reason in topic.active_reasons
            ],
        )
        for topic in taxonomy.active_topics()
    ]
    return TopicsOut(topics=topics, limits=limits_out())


# --- Reading ----------------------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int = Field(description="Размер, байт")
    url: str = Field(description="Скачать с тем же токеном; без токена файл не отдаётся")


class MessageOut(Schema):
    kind: str = Field(description="customer — ваше сообщение, reply — ответ вам")
    kind_name: str
    text: str
    created_at: datetime
    files: list[AttachmentOut]


class AppealBriefOut(Schema):
    number: str
    account_id: int
    account_number: str
    topic: str
    reason: str
    status: str
    status_name: str
    created_at: datetime
    deadline: date = Field(description="Срок ответа")
    answered_at: datetime | None
    closed_at: datetime | None
    can_write: bool = Field(description="Можно написать сообщение (ответ на закрытое обращение откроет его снова)")


class AppealOut(AppealBriefOut):
    text: str
    contact_method: Literal["phone", "email", "post"] = Field(
        description="Как придёт ответ: phone — SMS, email — e-mail, post — письмом по почте (жалоба на качество; "
        "о её движении сообщаем SMS)"
    )
    files: list[AttachmentOut] = Field(description="Файлы, приложенные при создании")
    messages: list[MessageOut] = Field(description="Переписка от старых сообщений к новым")


def attachment_out(appeal: Appeal, attachment: Attachment) -> AttachmentOut:
    url = reverse("api:appeal_file", kwargs={"number": appeal.number, "attachment_id": attachment.pk})
    return AttachmentOut(
        id=attachment.pk, name=attachment.name, content_type=attachment.content_type, size=attachment.size, url=url
    )


def brief(appeal: Appeal) -> dict:
    return {
        "number": appeal.number,
        "account_id": appeal.account_id,
        "account_number": appeal.account.number,
        "topic": appeal.topic.name,
        "reason": appeal.reason.name,
        "status": appeal.status,
        "status_name": appeal.get_status_display(),
        "created_at": appeal.created_at,
        "deadline": appeal.deadline,
        "answered_at": appeal.answered_at,
        "closed_at": appeal.closed_at,
        "can_write": services.can_write(appeal),
    }


def message_out(appeal: Appeal, message: Message) -> MessageOut:
    return MessageOut(
        kind=message.kind,
        kind_name=message.get_kind_display(),
        text=message.text,
        created_at=message.created_at,
        files=[attachment_out(appeal, a) for a in message.attachments.all()],
    )


def appeal_out(appeal: Appeal) -> AppealOut:
    return AppealOut(
        **brief(appeal),
        text=appeal.text,
        contact_method=complaints.answer_method(appeal),
        files=[attachment_out(appeal, a) for a in services.customer_files(appeal).filter(message__isnull=True)],
        messages=[message_out(appeal, m) for m in services.public_messages(appeal)],
    )


def own_appeal(request: HttpRequest, number: str) -> Appeal:
    """The customer's own appeal about an account this token may see; else not found."""
    try:
        appeal = services.customer_appeal(request.auth.user, number)
    except Http404:
        raise ApiProblem(404, NOT_FOUND) from None
    if not accounts_of(request.auth).filter(pk=appeal.account_id).exists():
        raise ApiProblem(404, NOT_FOUND)
    return appeal


class AppealFilter(Schema):
    status: Literal[tuple(AppealStatus.values)] | None = Field(None, description="Только в этом состоянии")  # type: ignore[valid-type]


@router.get(
    "/appeals",
    response={200: list[AppealBriefOut], **problem_responses(401, 422, 429)},
    summary="Мои обращения",
    description="От новых к старым.",
)
@etag
@paginate(Pagination)
def list_appeals(request: HttpRequest, filters: Query[AppealFilter]):
    appeals = services.customer_appeals(request.auth.user).filter(account__in=accounts_of(request.auth))
    if filters.status:
        appeals = appeals.filter(status=filters.status)
    return [AppealBriefOut(**brief(appeal)) for appeal in appeals]


@router.get(
    "/appeals/{number}",
    response={200: AppealOut, **problem_responses(401, 404, 422, 429)},
    summary="Обращение",
    description="С перепиской и файлами (внутренние заметки сотрудников не показываются).",
)
@etag
def get_appeal(request: HttpRequest, number: str = NUMBER):
    return appeal_out(own_appeal(request, number))


FILE_RESPONSE = {
    "200": {
        "description": "Файл обращения",
        "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in ALLOWED},
    }
}


@router.get(
    "/appeals/{number}/files/{int:attachment_id}",
    response=problem_responses(401, 404, 422, 429),
    url_name="appeal_file",
    summary="Файл обращения",
    description="Файл отдаётся только с токеном владельца обращения, под безопасным именем.",
    openapi_extra={"responses": FILE_RESPONSE},
)
def appeal_file(request: HttpRequest, attachment_id: ObjectId, number: str = NUMBER):
    appeal = own_appeal(request, number)
    try:
        attachment = services.customer_attachment(request.auth.user, appeal.number, attachment_id)
    except Http404:
        raise ApiProblem(404, FILE_NOT_FOUND) from None
    return private_download(attachment.file, attachment.name, attachment.content_type)


# --- Writing ----------------------------------------------------------------------------------

FILES = File(None, description="PDF, JPEG или PNG; ограничения — в GET /appeals/topics")


def text_errors(text: str) -> list[str]:
    if not text.strip():
        return [REQUIRED]
    if "\x00" in text:  # as the page's field refuses it (and PostgreSQL cannot store it)
        return ["Текст не должен содержать нулевой символ (NUL)."]
    if len(text.strip()) > settings.KABINET_APPEAL_TEXT_MAX:
        return [f"Не длиннее {settings.KABINET_APPEAL_TEXT_MAX} симв."]
    return []


def refuse_if(errors: dict[str, list[str]]) -> None:
    errors = {name: found for name, found in errors.items() if found}
    if errors:
        raise ApiProblem(422, NOT_SAVED, errors)


@router.post(
    "/appeals",
    auth=access_token_auth,
    response={201: AppealOut, **problem_responses(401, 403, 422, 429)},
    summary="Создать обращение",
    description=(
        "multipart/form-data: причина, лицевой счёт, текст, способ связи и файлы (`files`, несколько). "
        "Те же правила, что на странице «Создать обращение»; при любой ошибке — 422 с `errors` по полям, "
        "и ничего не сохраняется. Только с токеном входа по паролю."
    ),
)
def create_appeal(
    request: HttpRequest,
    reason: Form[ObjectId],
    account_id: Form[ObjectId],
    text: Form[str],
    contact_method: Form[Literal[tuple(ContactMethod.values)]] = ContactMethod.PHONE,  # type: ignore[valid-type]
    files: list[UploadedFile] = FILES,
):
    user, files = request.auth.user, files or []
    account = services.appeal_accounts(user).filter(pk=account_id, pk__in=accounts_of(request.auth)).first()
    chosen = taxonomy.active_reason(reason)
    errors = {
        "reason": [] if chosen else ["Выберите причину из списка GET /appeals/topics."],
        "account_id": [] if account else ["Выберите один из своих действующих лицевых счетов."],
        "text": text_errors(text),
        "files": refusals(files),
    }
    if contact_method == ContactMethod.EMAIL and not user.email:
        errors["contact_method"] = ["В профиле нет e-mail: укажите его в профиле или выберите телефон."]
    refuse_if(errors)
    uploads = [store_upload(user, uploaded) for uploaded in files]
    draft = services.AppealDraft(
        account=account, reason=chosen, text=text.strip(), contact_method=contact_method, uploads=uploads
    )
    try:
        appeal = services.submit_appeal(user, draft)
    except services.AppealRefused as refused:
        raise ApiProblem(422, str(refused), {"text": [str(refused)]}) from None
    return Status(201, appeal_out(appeal))


@router.post(
    "/appeals/{number}/messages",
    auth=access_token_auth,
    response={201: MessageOut, **problem_responses(401, 403, 404, 409, 422, 429)},
    summary="Написать по обращению",
    description=(
        "multipart/form-data: текст и файлы (`files`). Те же правила, что на странице обращения: "
        "сообщение на закрытое обращение открывает его снова, но не позже "
        "срока после ответа (иначе 409). Только с токеном входа по паролю."
    ),
)
def add_message(request: HttpRequest, text: Form[str], number: str = NUMBER, files: list[UploadedFile] = FILES):
    appeal, files = own_appeal(request, number), files or []
    refuse_if({"text": text_errors(text), "files": refusals(files)})
    if refusal := services.write_refusal(appeal):
        raise ApiProblem(409, refusal)  # before any file is stored
    uploads = [store_upload(request.auth.user, uploaded) for uploaded in files]
    try:
        message = services.add_customer_message(request.auth.user, appeal.number, text.strip(), uploads)
    except services.AppealRefused as refused:
        raise ApiProblem(409, str(refused)) from None
    return Status(201, message_out(appeal, message))
