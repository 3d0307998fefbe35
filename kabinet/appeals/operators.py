"""The back office's side of appeals: who sees what, taking, replies, notes, states.

An operator sees the appeals of their regions and acts on the ones they have taken; a
supervisor also reassigns. Every change is one transaction with its Event; the customer is
notified after commit when an answer or a question reaches them.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from kabinet.appeals import ratings
from kabinet.appeals.models import Appeal, Attachment, Event, Message, StaffRole, Status, Upload
from kabinet.appeals.notify import by_letter, notify_customer
from kabinet.appeals.services import AppealRefused, attach_uploads, record
from kabinet.identity.login import LoginResult, authenticate_by_contact

# Where a status may go by an operator's explicit action. Answers and questions to the
# customer (ANSWERED, WAITING) come only with a reply, so the customer is always told.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.IN_PROGRESS, Status.CLOSED},
    Status.IN_PROGRESS: {Status.CLOSED},
    Status.WAITING: {Status.IN_PROGRESS, Status.CLOSED},
    Status.ANSWERED: {Status.IN_PROGRESS, Status.CLOSED},
    Status.CLOSED: {Status.IN_PROGRESS},
    # Into FORWARDED only with the forwarding form (date, reference): appeals.complaints.forward.
    Status.FORWARDED: {Status.IN_PROGRESS, Status.CLOSED},
}
REPLY_STATUSES = {Status.ANSWERED: "answered", Status.WAITING: "waiting"}


class CloseWithoutAnswer(AppealRefused):
    """Closing now would leave the customer without an answer: the operator must confirm it."""

    def __init__(self):
        super().__init__(
            "Клиент ещё не получил ответа. Чтобы всё равно закрыть обращение, отметьте «Закрыть без ответа»."
        )


class AlreadyTaken(AppealRefused):
    def __init__(self, assignee):
        super().__init__(f"Обращение уже взял в работу другой сотрудник: {assignee}.")
        self.assignee = assignee


def staff_role(user) -> StaffRole | None:
    """The user's back-office role, or None for customers and inactive users."""
    if not user.is_authenticated or not user.is_active:
        return None
    return StaffRole.objects.filter(user=user).prefetch_related("regions").first()


def visible_appeals(role: StaffRole) -> QuerySet[Appeal]:
    return Appeal.objects.filter(region__in=role.regions.all()).select_related(
        "region", "topic", "reason", "assignee", "customer", "account__premises"
    )


def staff_appeal(role: StaffRole, pk: int) -> Appeal:
    appeal = visible_appeals(role).filter(pk=pk).first()
    if appeal is None:
        raise Http404
    return appeal


def status_counts(appeals: QuerySet[Appeal]) -> dict[str, int]:
    counts = dict(appeals.order_by().values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in Status.values}


def _locked(role: StaffRole, pk: int) -> Appeal:
    return visible_appeals(role).select_for_update(of=("self",)).get(pk=staff_appeal(role, pk).pk)


def _must_handle(role: StaffRole, appeal: Appeal) -> None:
    if appeal.assignee_id != role.user_id and not role.is_supervisor:
        raise AppealRefused("Сначала возьмите обращение в работу.")


def may_take(appeal: Appeal) -> bool:
    """«Взять в работу» is offered for an open appeal nobody has yet."""
    return appeal.assignee_id is None and appeal.is_open


def _claim(appeal: Appeal, actor) -> None:
    """Whoever acts on an unassigned appeal (a supervisor may) becomes its assignee, so the
    page and the queue name who answers for it; the history records it like a take."""
    if appeal.assignee_id is None:
        appeal.assignee = actor
        appeal.save(update_fields=["assignee"])
        record(appeal, Event.Kind.ASSIGNED, actor, assignee=actor.pk)


# For the complaints' own actions (appeals.complaints), under the same rules.
locked = _locked
must_handle = _must_handle
claim = _claim


def take(role: StaffRole, pk: int) -> Appeal:
    """Assign an unassigned appeal to oneself. Of two operators taking it at once, exactly
    one wins (one conditional UPDATE); the other gets AlreadyTaken."""
    appeal = staff_appeal(role, pk)
    if not appeal.is_open:
        raise AppealRefused("Обращение не в работе: сначала верните его в работу.")
    with transaction.atomic():
        won = Appeal.objects.filter(pk=appeal.pk, assignee__isnull=True).update(assignee=role.user)
        appeal.refresh_from_db()
        if not won:
            raise AlreadyTaken(appeal.assignee)
        record(appeal, Event.Kind.ASSIGNED, role.user, assignee=role.user_id)
        if appeal.status == Status.NEW:
            _set_status(appeal, role.user, Status.IN_PROGRESS)
    return appeal


def reassign(role: StaffRole, pk: int, assignee_id: int) -> Appeal:
    with transaction.atomic():
        appeal = _locked(role, pk)
        if not role.is_supervisor:
            raise AppealRefused("Переназначать обращения может только руководитель группы.")
        target = StaffRole.objects.filter(user_id=assignee_id, regions=appeal.region, user__is_active=True).first()
        if target is None:
            raise AppealRefused("Этот сотрудник не работает с обращениями этого региона.")
        appeal.assignee = target.user
        appeal.save(update_fields=["assignee"])
        record(appeal, Event.Kind.ASSIGNED, role.user, assignee=target.user_id)
    return appeal


def closes_without_answer(appeal: Appeal, to: str) -> bool:
    """Whether moving to `to` would close the appeal with the customer's last word unanswered,
    which needs the operator's confirmation. Only «Дан ответ» means an answer is the last word:
    a customer's message after an answer returns the appeal to work, a question leaves it
    waiting."""
    return to == Status.CLOSED and appeal.status != Status.ANSWERED


def _set_status(appeal: Appeal, actor, to: str, **details) -> None:
    before = appeal.status
    appeal.status = to
    now = timezone.now()
    if to == Status.ANSWERED:
        appeal.answered_at = now
    appeal.closed_at = now if to == Status.CLOSED else None
    appeal.save(update_fields=["status", "answered_at", "closed_at"])
    record(appeal, Event.Kind.STATUS, actor, from_status=before, **details)


def change_status(role: StaffRole, pk: int, to: str, *, without_answer: bool = False) -> Appeal:
    """Move the appeal by the table; closing one the customer has no answer to needs
    `without_answer` (the operator's confirmation), which its history then records."""
    with transaction.atomic():
        appeal = _locked(role, pk)
        _must_handle(role, appeal)
        if to not in TRANSITIONS[appeal.status]:
            raise AppealRefused(f"Из состояния «{appeal.get_status_display()}» нельзя перейти в «{Status(to).label}».")
        unanswered = closes_without_answer(appeal, to)
        if unanswered and not without_answer:
            raise CloseWithoutAnswer()
        _set_status(appeal, role.user, to, **({"without_answer": True} if unanswered else {}))
    return appeal


@dataclass
class Reply:
    text: str
    status: str  # ANSWERED (an answer) or WAITING (a question to the customer)
    uploads: list[Upload]


def reply(role: StaffRole, pk: int, data: Reply) -> Message:
    """Write to the customer, with files, and move the appeal to answered or waiting."""
    if data.status not in REPLY_STATUSES:
        raise AppealRefused("Ответ переводит обращение в «Дан ответ» или «Ожидает ответа клиента».")
    with transaction.atomic():
        appeal = _locked(role, pk)
        _must_handle(role, appeal)
        if not appeal.is_open:
            raise AppealRefused("Обращение не в работе: сначала верните его в работу.")
        _claim(appeal, role.user)
        message = Message.objects.create(appeal=appeal, kind=Message.Kind.REPLY, author=role.user, text=data.text)
        attach_uploads(appeal, data.uploads, role.user, message)
        record(appeal, Event.Kind.REPLY, role.user, message=message.pk)
        _set_status(appeal, role.user, data.status)
        if data.status == Status.ANSWERED and by_letter(appeal):
            # The letter is the answer's own channel: the back office shows it due until sent.
            record(appeal, Event.Kind.LETTER_DUE, role.user)
        # Every answer asks «Оцените ответ»; a question to the customer does not.
        token = ratings.issue_link(appeal, message) if data.status == Status.ANSWERED else ""
        notify_customer(appeal, REPLY_STATUSES[data.status], rating_token=token)
    return message


def add_note(role: StaffRole, pk: int, text: str, uploads: list[Upload]) -> Message:
    """An internal note: colleagues see it, the customer never does."""
    with transaction.atomic():
        appeal = _locked(role, pk)
        message = Message.objects.create(appeal=appeal, kind=Message.Kind.NOTE, author=role.user, text=text)
        attach_uploads(appeal, uploads, role.user, message)
        record(appeal, Event.Kind.NOTE, role.user, message=message.pk)
    return message


def staff_attachment(role: StaffRole, pk: int, attachment_id: int) -> Attachment:
    """A file of an appeal the employee may see; the access is recorded."""
    appeal = staff_appeal(role, pk)
    attachment = Attachment.objects.filter(appeal=appeal, pk=attachment_id).first()
    if attachment is None:
        raise Http404
    record(appeal, Event.Kind.FILE_READ, role.user, attachment=attachment.pk, name=attachment.name)
    return attachment


def colleagues(role: StaffRole, appeal: Appeal) -> QuerySet[StaffRole]:
    """Who an appeal can be reassigned to: active staff of its region."""
    return StaffRole.objects.filter(regions=appeal.region, user__is_active=True).select_related("user")


def sign_in_staff(identifier: str, password: str, ip: str) -> LoginResult:
    """The back office's own login: e-mail or phone of an employee with a role; customers'
    logins fail like a wrong password."""
    return authenticate_by_contact(
        identifier, password, ip, scope="backoffice", allowed=lambda user: staff_role(user) is not None
    )
