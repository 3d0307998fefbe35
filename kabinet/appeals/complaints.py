"""Quality complaints (ПП № 55): filing, the deadline per region, forwarding to the network
company, and the wipe of personal data after the retention period.

A complaint is an Appeal of kind «complaint», so numbers, states, the answer with files (the
inspection act), notifications and ratings are the appeals' own. What is its own: the fields
of QualityComplaint, the encrypted identity data, and the state «передано в сетевую организацию».
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from kabinet.appeals import operators
from kabinet.appeals.answer_days import parse_answer_days
from kabinet.appeals.calendar import add_working_days
from kabinet.appeals.calendar import today as local_today
from kabinet.appeals.complaint_pdf import render_complaint_pdf
from kabinet.appeals.complaint_text import CUSTOMER, STAFF, complaint_rows, readable_identity, rows_of
from kabinet.appeals.complaints_models import QualityComplaint
from kabinet.appeals.letter_pdf import render_answer_letter
from kabinet.appeals.models import (
    Appeal,
    AppealKind,
    ContactMethod,
    Event,
    Message,
    Reason,
    StaffRole,
    Status,
    Topic,
    Upload,
)
from kabinet.appeals.notify import by_letter, notify_customer, of_record
from kabinet.appeals.numbering import next_number
from kabinet.appeals.services import AppealRefused, attach_uploads, customer_appeal, record
from kabinet.billing.models import PersonalAccount, Region
from kabinet.core import audit
from kabinet.core.models import AuditEvent
from kabinet.core.pd_crypto import rotate
from kabinet.identity import profile
from kabinet.identity.accounts import FieldRejected, TooManyRequests, count_contact_use

TOPIC = "Качество электроснабжения"
REASON = "Жалоба на качество и надёжность электроснабжения"
# The complaint form's third way to receive the answer, beside ContactMethod's SMS and e-mail.
BY_LETTER = "post"


@dataclass
class ComplaintDraft:
    account: PersonalAccount
    full_name: str
    residence: str
    birth_date: date
    birth_place: str
    document_type: str
    document_series: str
    document_number: str
    organization: str
    premises_address: str
    violation_start: datetime
    violation_end: datetime | None
    phone: str
    email: str
    demands: str
    contact_method: str
    uploads: list[Upload] = field(default_factory=list)

    def __repr__(self) -> str:
        # A draft may reach a traceback or a log line: never with the document in it.
        return f"ComplaintDraft(account={self.account.number!r})"


def complaint_reason() -> Reason:
    """The taxonomy entry complaints are filed under. Hidden from the appeals' form
    (inactive), so a complaint is only made with the complaint form and its fields."""
    topic, _ = Topic.objects.get_or_create(name=TOPIC, defaults={"is_active": False, "ordering": 1000})
    reason, _ = Reason.objects.get_or_create(
        topic=topic, name=REASON, defaults={"is_active": False, "answer_days": default_answer_days()}
    )
    return reason


def _answer_days_table() -> tuple[int, dict[str, int]]:
    return parse_answer_days(settings.KABINET_COMPLAINT_ANSWER_DAYS)


def default_answer_days() -> int:
    return _answer_days_table()[0]


def answer_days(region: Region) -> int:
    """Working days the company has to answer a complaint in this region
    (KABINET_COMPLAINT_ANSWER_DAYS; the company sets it by its obligations there)."""
    default, per_region = _answer_days_table()
    return per_region.get(region.code, default)


def identity_payload(draft: ComplaintDraft) -> dict:
    return {
        "birth_date": draft.birth_date.isoformat(),
        "birth_place": draft.birth_place,
        "document_type": draft.document_type,
        "document_series": draft.document_series,
        "document_number": draft.document_number,
    }


def check_contacts(customer, draft: ComplaintDraft, ip: str) -> None:
    """Count each phone and e-mail of the complaint that is not the profile's confirmed one,
    before it is filed: its messages go there, and without a bound complaints would send
    strangers SMS and mail in the customer's name. TooManyRequests (at the field) past the
    limits of identity.accounts.count_contact_use. An e-mail for the answer, when the profile
    has none, is also offered to the profile with its confirmation link (counted there, once);
    an address of another account is not offered, silently, and the complaint is filed anyway."""
    if draft.phone and not of_record(customer, ContactMethod.PHONE, draft.phone):
        count_contact_use("phone", draft.phone, user=customer, ip=ip)
    if not draft.email or of_record(customer, ContactMethod.EMAIL, draft.email):
        return
    if draft.contact_method != ContactMethod.EMAIL or customer.email:
        count_contact_use("email", draft.email, user=customer, ip=ip)
        return
    try:
        profile.request_email_change(customer, draft.email, None, ip)
    except TooManyRequests:
        raise
    except FieldRejected:
        pass  # taken by another account: saying so would tell whose it is


def file_complaint(customer, draft: ComplaintDraft) -> Appeal:
    """Register the complaint (number, deadline, files, encrypted identity data) in one
    transaction; the customer is told the number and time after commit, without the document."""
    if draft.account.link.user_id != customer.pk:
        raise Http404
    if len(draft.demands) > settings.KABINET_APPEAL_TEXT_MAX:
        raise AppealRefused("Требования слишком длинные.")
    reason = complaint_reason()
    today = local_today()
    with transaction.atomic():
        appeal = Appeal.objects.create(
            number=next_number(draft.account.region, today.year),
            kind=AppealKind.COMPLAINT,
            region=draft.account.region,
            customer=customer,
            account=draft.account,
            topic=reason.topic,
            reason=reason,
            text=draft.demands,
            # By letter, the messages about the complaint (number, forwarding) go by SMS.
            contact_method=ContactMethod.PHONE if draft.contact_method == BY_LETTER else draft.contact_method,
            deadline=add_working_days(today, answer_days(draft.account.region)),
        )
        complaint = QualityComplaint(
            appeal=appeal,
            full_name=draft.full_name,
            residence=draft.residence,
            organization=draft.organization,
            premises_address=draft.premises_address,
            violation_start=draft.violation_start,
            violation_end=draft.violation_end,
            phone=draft.phone,
            email=draft.email,
            answer_by_letter=draft.contact_method == BY_LETTER,
        )
        complaint.set_identity(identity_payload(draft))
        complaint.save()
        attach_uploads(appeal, draft.uploads, customer)
        record(appeal, Event.Kind.CREATED, customer, files=len(draft.uploads), complaint=True)
        notify_customer(appeal, "complaint_registered")
    return appeal


def answer_method(appeal: Appeal) -> str:
    """How the answer reaches the customer: a ContactMethod, or BY_LETTER for a complaint
    answered by letter (whose messages meanwhile go by SMS, the appeal's contact_method)."""
    return BY_LETTER if by_letter(appeal) else appeal.contact_method


def complaint_of(appeal: Appeal) -> QualityComplaint:
    complaint = QualityComplaint.objects.filter(appeal=appeal).first()
    if complaint is None:
        raise Http404
    return complaint


@dataclass
class Forwarding:
    on: date
    company: str
    reference: str


FORWARDABLE = {Status.NEW, Status.IN_PROGRESS, Status.WAITING, Status.FORWARDED}


def may_forward(appeal: Appeal) -> bool:
    """Whether the forwarding form applies: a complaint in work, or already forwarded (then
    the form corrects the date or the reference)."""
    return appeal.kind == AppealKind.COMPLAINT and appeal.status in FORWARDABLE


def forwarding_date_refusal(on: date) -> str:
    """Why this cannot be the forwarding date, or "": the form shows it at the date field."""
    return "Дата передачи не может быть в будущем." if on > local_today() else ""


def forward(role: StaffRole, pk: int, data: Forwarding) -> Appeal:
    """«Передано в сетевую организацию»: the date and the network company's reference. The
    complaint stays open: the supplier still answers the customer, with the inspection act."""
    if refusal := forwarding_date_refusal(data.on):
        raise AppealRefused(refusal)
    with transaction.atomic():
        appeal = operators.locked(role, pk)
        operators.must_handle(role, appeal)
        if appeal.kind != AppealKind.COMPLAINT:
            raise AppealRefused("В сетевую организацию передаются только жалобы на качество электроснабжения.")
        if appeal.status not in FORWARDABLE:
            raise AppealRefused("Жалоба не в работе: сначала верните её в работу.")
        operators.claim(appeal, role.user)
        QualityComplaint.objects.filter(appeal=appeal).update(
            forwarded_on=data.on, network_company=data.company, network_reference=data.reference
        )
        before = appeal.status
        appeal.status = Status.FORWARDED
        appeal.save(update_fields=["status"])
        record(
            appeal,
            Event.Kind.STATUS,
            role.user,
            from_status=before if before != Status.FORWARDED else "",
            forwarded_on=data.on.isoformat(),
            network_company=data.company,
            network_reference=data.reference,
        )
        # The deadline now waits on the network company's inspection: the customer is told
        # whom it went to. A corrected date or reference is no news to them.
        if before != Status.FORWARDED:
            notify_customer(appeal, "complaint_forwarded", on=f"{data.on:%d.%m.%Y}", company=data.company)
    return appeal


def letters_due(appeals: QuerySet[Appeal]) -> QuerySet[Appeal]:
    """The complaints answered «письмом по почте» with no letter recorded since the last answer
    (the back office's «Нужно отправить письмо»)."""
    not_sent = Q(complaint__letter_sent_at__isnull=True) | Q(complaint__letter_sent_at__lt=F("answered_at"))
    answered = Q(kind=AppealKind.COMPLAINT, complaint__answer_by_letter=True, answered_at__isnull=False)
    return appeals.filter(answered, not_sent)


def letter_due(appeal: Appeal) -> bool:
    """The appeal is one of letters_due: the one rule, asked of one row."""
    if appeal.kind != AppealKind.COMPLAINT or appeal.answered_at is None:
        return False
    return letters_due(Appeal.objects.filter(pk=appeal.pk)).exists()


def letter_sent(role: StaffRole, pk: int) -> Appeal:
    """«Письмо с ответом отправлено»: the operator has posted the answer the customer chose
    to receive by letter; in the history, which the customer sees."""
    with transaction.atomic():
        appeal = operators.locked(role, pk)
        operators.must_handle(role, appeal)
        if not letter_due(appeal):
            raise AppealRefused("Отправлять письмом нечего: ответ ещё не дан или письмо уже отмечено отправленным.")
        QualityComplaint.objects.filter(appeal=appeal).update(letter_sent_at=timezone.now())
        record(appeal, Event.Kind.LETTER_SENT, role.user)
    return appeal


def _wipe_reason(complaint: QualityComplaint, closed_before: datetime) -> str:
    appeal = complaint.appeal
    closed = appeal.status == Status.CLOSED and appeal.closed_at and appeal.closed_at < closed_before
    return "closing" if closed else "submission"


def wipe_expired_personal_data(now: datetime | None = None) -> int:
    """Complaints closed KABINET_COMPLAINT_PD_RETENTION_DAYS ago, and every complaint filed
    KABINET_COMPLAINT_PD_MAX_DAYS ago whatever its state (one never closed must not keep the
    document for ever), lose their encrypted identity data. The complaint stays with its name,
    contacts, addresses, text and files: they are the appeal's own record. Each wipe is in the
    audit log with what the period ran from, never the data."""
    now = now or timezone.now()
    closed_before = now - timedelta(days=settings.KABINET_COMPLAINT_PD_RETENTION_DAYS)
    filed_before = now - timedelta(days=settings.KABINET_COMPLAINT_PD_MAX_DAYS)
    closed = Q(appeal__status=Status.CLOSED, appeal__closed_at__lt=closed_before)
    due = QualityComplaint.objects.filter(
        closed | Q(appeal__created_at__lt=filed_before), identity_wiped_at__isnull=True
    ).select_related("appeal")
    wiped = 0
    for complaint in due:
        with transaction.atomic():
            if QualityComplaint.objects.filter(pk=complaint.pk, identity_wiped_at__isnull=True).update(
                identity="", identity_wiped_at=now
            ):
                audit.record(
                    AuditEvent.Action.PD_WIPED,
                    identifier=complaint.appeal.number,
                    after=_wipe_reason(complaint, closed_before),
                    retention_days=settings.KABINET_COMPLAINT_PD_RETENTION_DAYS,
                    max_days=settings.KABINET_COMPLAINT_PD_MAX_DAYS,
                )
                wiped += 1
    return wiped


def rotate_one(pk: int, token: str) -> bool:
    """Re-encrypt one row's identity data, read earlier as `token`. Written only if the row
    still holds that value and was not wiped meanwhile: the daily wipe may run between the read
    and this write, and an unconditional write would bring the wiped document back."""
    return bool(
        QualityComplaint.objects.filter(pk=pk, identity=token, identity_wiped_at__isnull=True).update(
            identity=rotate(token)
        )
    )


ROTATE_ATTEMPTS = 3


class RotationIncomplete(RuntimeError):
    """Rows left as they were, named by the complaint's number, never by their token: those no
    key of KABINET_PD_KEYS opens (a key dropped too early, or lost), and those that kept
    changing while being rotated. Raised after the rest is rotated."""

    def __init__(self, unreadable: list[str], rotated: int, busy: list[str] | None = None):
        lines = [f"Перешифровано жалоб: {rotated}."]
        if unreadable:
            lines.append(
                f"Ни один ключ KABINET_PD_KEYS не открывает данные жалоб {', '.join(unreadable)}: "
                "верните в список ключ, которым они зашифрованы, и повторите команду."
            )
        if busy:
            lines.append(f"Данные жалоб {', '.join(busy)} менялись во время перешифрования: повторите команду.")
        super().__init__(" ".join(lines))
        self.numbers = unreadable
        self.busy = busy or []
        self.rotated = rotated


class RowKeptChanging(Exception):
    """A row changed at every attempt to rotate it."""


def rotate_keys() -> int:
    """Re-encrypt every complaint's identity data under the first key of KABINET_PD_KEYS; a row
    changed meanwhile is read again, a row wiped meanwhile is left wiped. The number rotated;
    RotationIncomplete after the rest when some row no key opens or kept changing."""
    count, unreadable, busy = 0, [], []
    due = QualityComplaint.objects.exclude(identity="").filter(identity_wiped_at__isnull=True)
    for complaint in due.select_related("appeal").only("pk", "identity", "appeal__number").iterator():
        try:
            count += _rotate_row(due, complaint.pk, complaint.identity)
        except InvalidToken:
            unreadable.append(complaint.appeal.number)
        except RowKeptChanging:
            busy.append(complaint.appeal.number)
    if unreadable or busy:
        raise RotationIncomplete(unreadable, count, busy)
    return count


def _rotate_row(due: QuerySet[QualityComplaint], pk: int, token: str) -> int:
    for _ in range(ROTATE_ATTEMPTS):
        if rotate_one(pk, token):
            return 1
        token = due.filter(pk=pk).values_list("identity", flat=True).first()
        if token is None:
            return 0  # wiped meanwhile: nothing to re-encrypt
    raise RowKeptChanging


def _pdf(appeal: Appeal, reader, viewer: str) -> tuple[bytes, str]:
    record(appeal, Event.Kind.FILE_READ, reader, name="complaint.pdf")
    return render_complaint_pdf(complaint_of(appeal), viewer), f"Жалоба {appeal.number}.pdf"


def customer_complaint_pdf(customer, number: str) -> tuple[bytes, str]:
    """The PDF of the customer's own complaint (anyone else's: 404); the download is in its history."""
    return _pdf(customer_appeal(customer, number), customer, CUSTOMER)


def staff_complaint_pdf(role: StaffRole, pk: int) -> tuple[bytes, str]:
    """The PDF for an employee of the complaint's region (any other: 404)."""
    return _pdf(operators.staff_appeal(role, pk), role.user, STAFF)


def answer_letter(appeal: Appeal) -> Message | None:
    """The answer to print as a letter: the latest reply of an answered complaint whose
    customer asked for the answer by post; None otherwise."""
    if appeal.kind != AppealKind.COMPLAINT or appeal.answered_at is None or not complaint_of(appeal).answer_by_letter:
        return None
    return appeal.messages.filter(kind=Message.Kind.REPLY).select_related("author").order_by("-created_at").first()


def staff_answer_letter_pdf(role: StaffRole, pk: int) -> tuple[bytes, str]:
    """«Распечатать письмо» for an employee of the region (any other: 404); the print holds
    the customer's name and address, so it is in the history as a download is."""
    appeal = operators.staff_appeal(role, pk)
    answer = answer_letter(appeal)
    if answer is None:
        raise Http404
    record(appeal, Event.Kind.FILE_READ, role.user, name="answer-letter.pdf")
    return render_answer_letter(complaint_of(appeal), answer), f"Ответ на жалобу {appeal.number}.pdf"


def rows(appeal: Appeal) -> list[tuple[str, str]]:
    """The complaint's fields to show on its page to its customer (whose view found the
    appeal); [] for an ordinary appeal."""
    if appeal.kind != AppealKind.COMPLAINT:
        return []
    return complaint_rows(_joined_complaint(appeal) or complaint_of(appeal))


def _joined_complaint(appeal: Appeal) -> QualityComplaint | None:
    """The complaint read with its appeal (select_related, its page's read), or None when it was
    not read: then complaint_of reads it (and a complaint without its row is not found, 404)."""
    if not Appeal.complaint.is_cached(appeal):
        return None
    return getattr(appeal, "complaint", None)


@sensitive_variables("identity")
def staff_rows(role: StaffRole, appeal: Appeal) -> list[tuple[str, str]]:
    """The fields for an employee of the region (the view found the appeal with
    operators.staff_appeal); showing the document is in the history, as a PDF download is
    (not when there was none to show: wiped, or no key opens it)."""
    if appeal.kind != AppealKind.COMPLAINT:
        return []
    complaint = complaint_of(appeal)
    identity = readable_identity(complaint)
    if identity:
        record(appeal, Event.Kind.PD_READ, role.user)
    return rows_of(complaint, identity, STAFF)
