"""The customer's side of appeals: submit, read, write more, reopen.

Every change runs in one transaction with its Event; notifications go out after commit.
Files arrive first as the customer's Uploads (kept across form errors) and become
Attachments in the transaction that stores the appeal or the message.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone

from kabinet.appeals import ratings, taxonomy
from kabinet.appeals.calendar import add_working_days
from kabinet.appeals.calendar import today as local_today
from kabinet.appeals.models import Appeal, Attachment, Event, Message, Reason, Status, Upload
from kabinet.appeals.notify import notify_customer
from kabinet.appeals.numbering import next_number
from kabinet.billing.models import PersonalAccount
from kabinet.core.compiled import Compiled, RowsDigest, sentinel


class AppealRefused(Exception):
    """The action is not possible now; the message says why, in Russian."""


@dataclass
class AppealDraft:
    account: PersonalAccount
    reason: Reason
    text: str
    contact_method: str
    uploads: list[Upload] = field(default_factory=list)


def appeal_accounts(customer) -> QuerySet[PersonalAccount]:
    """The accounts an appeal can be about: the customer's active ones, in the order they were
    linked. (Unordered until step 17 of docs/performance.md, PostgreSQL's plan chose: the
    link's order at scale, by region first on small tables under a server-side cursor.)"""
    return (
        PersonalAccount.objects.filter(link__user=customer, status=PersonalAccount.Status.ACTIVE)
        .select_related("premises", "region")
        .order_by("link__pk")
    )


# The «Создать обращение» and complaint forms' accounts, compiled once (core.compiled): the forms
# offer these rows and accept only them, so a page reads them once (docs/performance.md step 17).
_APPEAL_ACCOUNTS = Compiled(appeal_accounts, sentinel.integer(0))


def appeal_account_list(customer) -> list[PersonalAccount]:
    """`appeal_accounts`' rows, in the order its query gives them."""
    return _APPEAL_ACCOUNTS.instances(customer.pk)


@dataclass(frozen=True)
class NewAppealFacts:
    """What «Создать обращение» reads per request, in one statement: the accounts it offers and,
    on PostgreSQL, the digest of the taxonomy it offers (`taxonomy.digest_column`; None elsewhere
    and when there is no account to carry it, when the page offers no form)."""

    accounts: list[PersonalAccount]
    taxonomy_digest: str | None


# appeal_accounts with the taxonomy's digest, compiled once: a page whose taxonomy's fields are kept
# drawn (portal.appeal_forms) reads no topic or reason (docs/performance.md step 21).
_NEW_APPEAL_ACCOUNTS = Compiled(
    lambda customer: appeal_accounts(customer).annotate(taxonomy_digest=taxonomy.digest_column()),
    sentinel.integer(0),
)


def new_appeal_facts(customer) -> NewAppealFacts:
    accounts = _NEW_APPEAL_ACCOUNTS.instances(customer.pk)
    return NewAppealFacts(accounts=accounts, taxonomy_digest=accounts[0].taxonomy_digest if accounts else None)


def customer_appeals(customer) -> QuerySet[Appeal]:
    return Appeal.objects.filter(customer=customer).select_related("topic", "reason", "account")


def _page_rows(appeals: QuerySet[Appeal], after: int, last: int) -> QuerySet[Appeal]:
    """Rows `after` + 1 … `last` of `appeals` in their order, each with the total (`listed`,
    COUNT(*) OVER ()). The bounds are compared with ROW_NUMBER() as parameters: a slice's
    LIMIT and OFFSET are numbers in Django's SQL, a statement for every page."""
    return (
        appeals.annotate(listed=Window(Count("pk")))
        .alias(row=Window(RowNumber(), order_by=Appeal._meta.ordering))
        .filter(row__gt=after, row__lte=last)
    )


# «Мои обращения»'s rows, compiled once (core.compiled): without and with the status filter.
_PAGE = Compiled(
    lambda customer, after, last: _page_rows(customer_appeals(customer), after, last),
    sentinel.integer(0),
    sentinel.integer(1),
    sentinel.integer(2),
)
_STATUS_PAGE = Compiled(
    lambda customer, status, after, last: _page_rows(customer_appeals(customer).filter(status=status), after, last),
    sentinel.integer(0),
    sentinel.text(0),
    sentinel.integer(1),
    sentinel.integer(2),
)


def customer_appeal_page(customer, status: str, number, per_page: int) -> Page:
    """«Мои обращения»: a page of the customer's appeals (of `status` when given), as
    `Paginator(...).get_page(number)` gives it, in one compiled query: the total comes with the
    rows (COUNT(*) OVER ()). A page past the end, or not a page, takes the paginator's own way.

    An existing page's paginator holds that page's rows, told the total: building the query
    for it alone cost more than its rows' compiled read, and only the page is asked of it."""
    try:
        number = int(number or 1)
    except (TypeError, ValueError):
        number = 1
    if 1 <= number <= _LAST_COMPILED // per_page:  # beyond: past any customer's pages, the paginator's way
        rows = _page(customer, status, number, per_page)
        if rows or number == 1:
            paginator = Paginator(rows, per_page)
            paginator.count = rows[0].listed if rows else 0  # Paginator's own cached_property, known here
            return Page(rows, number, paginator)
    appeals = customer_appeals(customer)
    return Paginator(appeals.filter(status=status) if status else appeals, per_page).get_page(number)


# The row numbers are 32-bit parameters on PostgreSQL (as its sentinels were compiled): a page
# ending past them takes the paginator's way (no customer has two thousand million appeals).
_LAST_COMPILED = 2**31 - 1


def _page(customer, status: str, number: int, per_page: int) -> list[Appeal]:
    after = (number - 1) * per_page
    if status:
        return _STATUS_PAGE.instances(customer.pk, str(status), after, after + per_page)
    return _PAGE.instances(customer.pk, after, after + per_page)


def customer_appeal(customer, number: str) -> Appeal:
    """The customer's own appeal by number; anyone else's is simply not found."""
    appeal = customer_appeals(customer).filter(number=number).first()
    if appeal is None:
        raise Http404
    return appeal


# --- The customer's page of one appeal -------------------------------------------------------


@dataclass(frozen=True)
class AppealDetail:
    """What the customer's page of their appeal shows per request, in one statement compiled once
    a process (core.compiled): the appeal and the offer to rate its answer. Its documents,
    conversation and history (`Thread`) are kept drawn (portal.fragments) under `appeal.thread_digest`."""

    appeal: Appeal  # with its topic, reason, account, (a complaint's) QualityComplaint and thread_digest
    offer: ratings.OfferShown | None


@dataclass(frozen=True)
class Thread:
    """The appeal's documents, its conversation and its history as the customer sees them: the rules
    of `customer_files`, `public_messages` and `public_events`."""

    files: list[Attachment]  # the appeal's own documents, not a message's
    conversation: list[tuple[Message, list[Attachment]]]  # each public message with its files
    history: list[Event]


def _thread_of(customer_id: int, number: str) -> dict:
    """The thread's reads are by the appeal's customer and number, the arguments of the appeal's own
    statement, which digests them (`_detail_appeal`)."""
    return {"appeal__customer_id": customer_id, "appeal__number": number}


# The thread's reads, compiled once a process: public_messages, customer_files (the appeal's own
# documents and its public messages', in one read) and public_events.
_PUBLIC_MESSAGES = Compiled(
    lambda customer_id, number: Message.objects.filter(**_thread_of(customer_id, number)).exclude(
        kind=Message.Kind.NOTE
    ),
    sentinel.integer(0),
    sentinel.text(0),
)
_PAGE_FILES = Compiled(
    lambda customer_id, number: Attachment.objects.filter(**_thread_of(customer_id, number)).exclude(
        message__kind=Message.Kind.NOTE
    ),
    sentinel.integer(0),
    sentinel.text(0),
)
_PUBLIC_EVENTS = Compiled(
    lambda customer_id, number: Event.objects.filter(**_thread_of(customer_id, number), kind__in=Event.PUBLIC),
    sentinel.integer(0),
    sentinel.text(0),
)


def _detail_appeal(customer, number: str) -> QuerySet[Appeal]:
    """customer_appeal's read with what else the page needs of the appeal: a complaint's own row,
    the offer to rate (ratings.latest_rating_columns), whether it has public messages and documents
    of its own (a new appeal's page reads neither), and on PostgreSQL a digest of every row of its
    thread (`thread_digest`, NULL elsewhere): a page whose thread is kept drawn reads no more."""
    public = Message.objects.filter(appeal=OuterRef("pk")).exclude(kind=Message.Kind.NOTE)
    own_files = Attachment.objects.filter(appeal=OuterRef("pk"), message__isnull=True)
    thread = [(read, (customer, number)) for read in (_PUBLIC_MESSAGES, _PAGE_FILES, _PUBLIC_EVENTS)]
    return (
        customer_appeals(customer)
        .filter(number=number)
        .select_related("complaint")
        .annotate(
            **ratings.latest_rating_columns(),
            has_messages=Exists(public),
            has_files=Exists(own_files),
            thread_digest=RowsDigest(thread),
        )
    )


_DETAIL_APPEAL = Compiled(_detail_appeal, sentinel.integer(0), sentinel.text(0))


def customer_appeal_detail(customer, number: str) -> AppealDetail:
    """The customer's own appeal with what its page shows per request, one statement; anyone
    else's is not found (404)."""
    found = _DETAIL_APPEAL.instances(customer.pk, number)
    if not found:
        raise Http404
    appeal = found[0]
    return AppealDetail(appeal=appeal, offer=ratings.offer_shown(appeal))


def appeal_thread(appeal: Appeal) -> Thread:
    """The documents, conversation and history of an appeal read by `customer_appeal_detail` (its
    customer's own): its history, and its messages and files where it has any (a new appeal's page
    reads one statement, one with a conversation and files three)."""
    args = (appeal.customer_id, appeal.number)
    messages = _PUBLIC_MESSAGES.instances(*args) if appeal.has_messages else []
    files: dict[int | None, list[Attachment]] = {}
    if appeal.has_messages or appeal.has_files:
        for attachment in _PAGE_FILES.instances(*args):  # in their order, by message (None: the appeal's own)
            files.setdefault(attachment.message_id, []).append(attachment)
    return Thread(
        files=files.get(None, []),
        conversation=[(message, files.get(message.pk, [])) for message in messages],
        history=_PUBLIC_EVENTS.instances(*args),
    )


def attach_uploads(appeal: Appeal, uploads: list[Upload], user, message: Message | None = None) -> None:
    for upload in uploads:
        Attachment.objects.create(
            appeal=appeal,
            message=message,
            file=upload.file.name,  # the stored file moves over as it is: nothing is copied
            name=upload.name,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            uploaded_by=user,
        )
    Upload.objects.filter(pk__in=[u.pk for u in uploads]).delete()


def record(appeal: Appeal, kind: str, actor, *, from_status: str = "", **details) -> Event:
    """One line of history. Give `from_status` when the status changed: the event then
    holds both ends of the change."""
    to_status = appeal.status if from_status else ""
    return Event.objects.create(
        appeal=appeal, kind=kind, actor=actor, from_status=from_status, to_status=to_status, details=details
    )


def submit_appeal(customer, draft: AppealDraft) -> Appeal:
    """Register an appeal with its files and number in one transaction; confirm after commit."""
    if len(draft.text) > settings.KABINET_APPEAL_TEXT_MAX:
        raise AppealRefused("Текст обращения слишком длинный.")
    if draft.account.link.user_id != customer.pk:
        raise Http404
    today = local_today()
    with transaction.atomic():
        appeal = Appeal.objects.create(
            number=next_number(draft.account.region, today.year),
            region=draft.account.region,
            customer=customer,
            account=draft.account,
            topic=draft.reason.topic,
            reason=draft.reason,
            text=draft.text,
            contact_method=draft.contact_method,
            deadline=add_working_days(today, draft.reason.answer_days),
        )
        attach_uploads(appeal, draft.uploads, customer)
        record(appeal, Event.Kind.CREATED, customer, files=len(draft.uploads))
        notify_customer(appeal, "registered")
    return appeal


def can_write(appeal: Appeal) -> bool:
    """While open, and for KABINET_APPEAL_REOPEN_DAYS after the answer, the customer may write."""
    if appeal.is_open:
        return True
    answered = appeal.answered_at or appeal.closed_at
    return answered is not None and timezone.now() - answered <= timedelta(days=settings.KABINET_APPEAL_REOPEN_DAYS)


def write_refusal(appeal: Appeal) -> str:
    """Why the customer may no longer write about this appeal; empty while they may."""
    if can_write(appeal):
        return ""
    return f"Обращение закрыто более {settings.KABINET_APPEAL_REOPEN_DAYS} дней назад. Создайте новое обращение."


def add_customer_message(customer, number: str, text: str, uploads: list[Upload]) -> Message:
    """A message from the customer; on an answered or closed appeal it reopens it."""
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=customer_appeal(customer, number).pk)
        if refusal := write_refusal(appeal):
            raise AppealRefused(refusal)
        message = Message.objects.create(appeal=appeal, kind=Message.Kind.CUSTOMER, author=customer, text=text)
        attach_uploads(appeal, uploads, customer, message)
        before = appeal.status
        # A complaint with the network company stays there: the customer only adds to it.
        if before not in (Status.NEW, Status.IN_PROGRESS, Status.FORWARDED):
            appeal.status = Status.IN_PROGRESS if appeal.assignee_id else Status.NEW
            appeal.closed_at = None
            appeal.save(update_fields=["status", "closed_at"])
        record(appeal, Event.Kind.CUSTOMER_MESSAGE, customer, from_status=before if before != appeal.status else "")
    return message


def close_answered(now=None) -> int:
    """Answered appeals the customer has not come back to within the reopen period are closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.KABINET_APPEAL_REOPEN_DAYS)
    closed = 0
    for appeal in Appeal.objects.filter(status=Status.ANSWERED, answered_at__lt=cutoff):
        with transaction.atomic():
            updated = Appeal.objects.filter(pk=appeal.pk, status=Status.ANSWERED).update(
                status=Status.CLOSED, closed_at=now
            )
            if updated:
                appeal.status = Status.CLOSED
                record(appeal, Event.Kind.STATUS, None, from_status=Status.ANSWERED, automatic=True)
                closed += 1
    return closed


def public_messages(appeal: Appeal) -> QuerySet[Message]:
    """The conversation as the customer sees it: internal notes are never part of it."""
    return appeal.messages.exclude(kind=Message.Kind.NOTE).select_related("author").prefetch_related("attachments")


def public_events(appeal: Appeal) -> QuerySet[Event]:
    return appeal.events.filter(kind__in=Event.PUBLIC)


def customer_files(appeal: Appeal) -> QuerySet[Attachment]:
    """Files the customer may open: theirs and those sent to them, not those of notes."""
    return appeal.attachments.exclude(message__kind=Message.Kind.NOTE)


def customer_attachment(customer, number: str, attachment_id: int) -> Attachment:
    appeal = customer_appeal(customer, number)
    attachment = customer_files(appeal).filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    record(appeal, Event.Kind.FILE_READ, customer, attachment=attachment.pk, name=attachment.name)
    return attachment
