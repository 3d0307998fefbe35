"""The life of an appeal: transitions, replies and what the customer is told, the customer's
messages and reopening, automatic closing, internal notes, and the history every action leaves."""

from datetime import timedelta

from django.http import Http404
from django.utils import timezone
import pytest

from kabinet.appeals import operators, services
from kabinet.appeals.models import Appeal, Event, Message, Status, Upload
from kabinet.appeals.operators import TRANSITIONS, Reply
from kabinet.appeals.services import AppealRefused
from tests.factories import make_account, make_appeal, make_customer, upload_file


@pytest.fixture
def appeal(customer, account, reason) -> Appeal:
    return make_appeal(customer, account, reason)


@pytest.fixture
def taken(appeal, operator) -> Appeal:
    operators.take(operator, appeal.pk)
    appeal.refresh_from_db()
    return appeal


def set_state(appeal: Appeal, status: str, **fields) -> Appeal:
    Appeal.objects.filter(pk=appeal.pk).update(status=status, **fields)
    appeal.refresh_from_db()
    return appeal


def sms_to(outbox, phone: str) -> list[str]:
    return [m["text"] for m in outbox.messages() if m["to"] == phone]


# --- Transitions by an operator's explicit action -------------------------------------------


def test_answers_and_questions_are_never_an_explicit_transition():
    # ANSWERED and WAITING come only with a reply, so the customer is always told.
    reachable = set().union(*TRANSITIONS.values())
    assert Status.ANSWERED not in reachable
    assert Status.WAITING not in reachable
    assert set(TRANSITIONS) == set(Status.values)
    assert all(status not in targets for status, targets in TRANSITIONS.items())


@pytest.mark.parametrize("before", Status.values)
@pytest.mark.parametrize("after", Status.values)
def test_change_status_follows_the_table(taken, operator, before, after):
    set_state(taken, before)
    events_before = taken.events.count()
    if after in TRANSITIONS[before]:
        operators.change_status(operator, taken.pk, after, without_answer=True)
        taken.refresh_from_db()
        assert taken.status == after
        event = taken.events.last()
        assert (event.kind, event.actor, event.from_status, event.to_status) == (
            Event.Kind.STATUS,
            operator.user,
            before,
            after,
        )
        assert (taken.closed_at is not None) == (after == Status.CLOSED)
    else:
        with pytest.raises(AppealRefused, match="нельзя перейти"):
            operators.change_status(operator, taken.pk, after)
        taken.refresh_from_db()
        assert taken.status == before
        assert taken.events.count() == events_before


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Status.NEW, Status.IN_PROGRESS),
        (Status.NEW, Status.CLOSED),
        (Status.IN_PROGRESS, Status.CLOSED),
        (Status.WAITING, Status.IN_PROGRESS),
        (Status.ANSWERED, Status.IN_PROGRESS),
        (Status.ANSWERED, Status.CLOSED),
        (Status.CLOSED, Status.IN_PROGRESS),
    ],
)
def test_allowed_transitions(taken, operator, before, after):
    set_state(taken, before)
    assert operators.change_status(operator, taken.pk, after, without_answer=True).status == after


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Status.NEW, Status.ANSWERED),
        (Status.IN_PROGRESS, Status.ANSWERED),
        (Status.IN_PROGRESS, Status.WAITING),
        (Status.IN_PROGRESS, Status.NEW),
        (Status.CLOSED, Status.ANSWERED),
        (Status.CLOSED, Status.NEW),
        (Status.ANSWERED, Status.WAITING),
    ],
)
def test_forbidden_transitions(taken, operator, before, after):
    set_state(taken, before)
    with pytest.raises(AppealRefused):
        operators.change_status(operator, taken.pk, after)
    taken.refresh_from_db()
    assert taken.status == before


def test_reopening_a_closed_appeal_clears_closed_at(taken, operator):
    operators.change_status(operator, taken.pk, Status.CLOSED, without_answer=True)
    taken.refresh_from_db()
    assert taken.closed_at is not None
    operators.change_status(operator, taken.pk, Status.IN_PROGRESS)
    taken.refresh_from_db()
    assert taken.closed_at is None


@pytest.mark.parametrize("before", [Status.NEW, Status.IN_PROGRESS, Status.WAITING])
def test_closing_without_an_answer_needs_confirmation(taken, operator, before):
    set_state(taken, before)
    events_before = taken.events.count()
    assert operators.closes_without_answer(taken, Status.CLOSED)
    with pytest.raises(operators.CloseWithoutAnswer, match="отметьте «Закрыть без ответа»"):
        operators.change_status(operator, taken.pk, Status.CLOSED)
    taken.refresh_from_db()
    assert (taken.status, taken.events.count()) == (before, events_before)

    operators.change_status(operator, taken.pk, Status.CLOSED, without_answer=True)
    taken.refresh_from_db()
    assert taken.status == Status.CLOSED
    assert taken.events.last().details == {"without_answer": True}  # the history says so


def test_closing_after_an_answer_needs_no_confirmation(taken, operator):
    operators.reply(operator, taken.pk, Reply("Перерасчёт сделан", Status.ANSWERED, []))
    taken.refresh_from_db()
    assert not operators.closes_without_answer(taken, Status.CLOSED)
    operators.change_status(operator, taken.pk, Status.CLOSED)
    taken.refresh_from_db()
    assert taken.status == Status.CLOSED and taken.events.last().details == {}


def test_only_closing_asks_for_confirmation(taken):
    assert not any(operators.closes_without_answer(taken, to) for to in Status.values if to != Status.CLOSED)


# --- Replies and notifications --------------------------------------------------------------


def test_answer_sets_answered_at_and_sends_an_sms(taken, operator, customer, outbox, mailbox):
    assert taken.answered_at is None
    assert len(sms_to(outbox, customer.phone)) == 1  # «зарегистрировано»
    file = upload_file(operator.user, "ответ.pdf")
    before = timezone.now()
    message = operators.reply(operator, taken.pk, Reply("Перерасчёт выполнен.", Status.ANSWERED, [file]))
    taken.refresh_from_db()
    assert taken.status == Status.ANSWERED
    assert before <= taken.answered_at <= timezone.now()
    assert (message.kind, message.author, message.text) == (Message.Kind.REPLY, operator.user, "Перерасчёт выполнен.")
    assert [a.name for a in message.attachments.all()] == ["ответ.pdf"]
    texts = sms_to(outbox, customer.phone)
    assert len(texts) == 2
    assert taken.number in texts[-1]
    assert "дан ответ" in texts[-1]
    assert f"/{taken.number}" in texts[-1]  # a link to the appeal
    assert mailbox() == []


def test_answer_by_email_when_preferred_and_the_customer_has_an_address(
    customer, account, reason, operator, outbox, mailbox
):
    appeal = make_appeal(customer, account, reason, contact_method="email")
    assert [m.subject for m in mailbox()] == [f"Обращение № {appeal.number} зарегистрировано"]
    operators.take(operator, appeal.pk)
    operators.reply(operator, appeal.pk, Reply("Ответ", Status.ANSWERED, []))
    mails = mailbox()
    assert len(mails) == 2
    assert mails[-1].to == ["anna@example.ru"]
    assert mails[-1].subject == f"Ответ на обращение № {appeal.number}"
    assert appeal.number in mails[-1].body
    assert mails[-1].body.startswith("Здравствуйте, Анна!\n\n"), "by name"
    assert sms_to(outbox, customer.phone) == []


def test_email_preferred_but_no_address_goes_by_sms(sverdlovsk, reason, operator, outbox, mailbox):
    account = make_account(sverdlovsk, "660100000002")
    customer = make_customer("+79120000002", account)
    appeal = make_appeal(customer, account, reason, contact_method="email")
    operators.take(operator, appeal.pk)
    operators.reply(operator, appeal.pk, Reply("Ответ", Status.ANSWERED, []))
    texts = sms_to(outbox, "+79120000002")
    assert len(texts) == 2 and appeal.number in texts[-1]
    assert mailbox() == []


def test_question_to_the_customer_asks_for_their_information(taken, operator, customer, outbox):
    operators.reply(operator, taken.pk, Reply("Пришлите справку.", Status.WAITING, []))
    taken.refresh_from_db()
    assert taken.status == Status.WAITING
    assert taken.answered_at is None
    text = sms_to(outbox, customer.phone)[-1]
    assert "нужны ваши сведения" in text
    assert taken.number in text


def test_question_by_email(customer, account, reason, operator, mailbox):
    appeal = make_appeal(customer, account, reason, contact_method="email")
    operators.take(operator, appeal.pk)
    operators.reply(operator, appeal.pk, Reply("Пришлите справку.", Status.WAITING, []))
    mail = mailbox()[-1]
    assert mail.subject == f"Нужны ваши сведения по обращению № {appeal.number}"
    assert "нужны ваши сведения" in mail.body


def test_reply_must_answer_or_ask(taken, operator, outbox):
    sent = len(outbox.messages())
    for status in (Status.IN_PROGRESS, Status.CLOSED, Status.NEW):
        with pytest.raises(AppealRefused):
            operators.reply(operator, taken.pk, Reply("Ответ", status, []))
    assert not taken.messages.exists()
    assert len(outbox.messages()) == sent


def test_no_reply_to_an_appeal_not_in_work(taken, operator, outbox):
    for status in (Status.ANSWERED, Status.CLOSED):
        set_state(taken, status)
        with pytest.raises(AppealRefused, match="не в работе"):
            operators.reply(operator, taken.pk, Reply("Ещё ответ", Status.ANSWERED, []))
    assert not taken.messages.exists()
    assert len(outbox.messages()) == 1


# --- The customer writes --------------------------------------------------------------------


def test_customer_message_on_a_waiting_appeal_brings_it_back_to_work(taken, operator, customer):
    operators.reply(operator, taken.pk, Reply("Пришлите справку.", Status.WAITING, []))
    file = upload_file(customer, "справка.pdf")
    message = services.add_customer_message(customer, taken.number, "Высылаю справку", [file])
    taken.refresh_from_db()
    assert taken.status == Status.IN_PROGRESS
    assert (message.kind, message.author) == (Message.Kind.CUSTOMER, customer)
    assert [a.name for a in message.attachments.all()] == ["справка.pdf"]
    event = taken.events.last()
    assert (event.kind, event.actor, event.from_status, event.to_status) == (
        Event.Kind.CUSTOMER_MESSAGE,
        customer,
        Status.WAITING,
        Status.IN_PROGRESS,
    )


def test_customer_message_on_an_appeal_in_work_keeps_its_status(taken, customer):
    services.add_customer_message(customer, taken.number, "Дополнение", [])
    taken.refresh_from_db()
    assert taken.status == Status.IN_PROGRESS
    event = taken.events.last()
    assert (event.kind, event.from_status, event.to_status) == (Event.Kind.CUSTOMER_MESSAGE, "", "")


def test_customer_message_within_the_reopen_period_reopens_an_answer(taken, operator, customer):
    operators.reply(operator, taken.pk, Reply("Ответ", Status.ANSWERED, []))
    set_state(taken, Status.ANSWERED, answered_at=timezone.now() - timedelta(days=29))
    services.add_customer_message(customer, taken.number, "Не согласна с ответом", [])
    taken.refresh_from_db()
    assert taken.status == Status.IN_PROGRESS
    assert taken.assignee == operator.user
    event = taken.events.last()
    assert (event.from_status, event.to_status) == (Status.ANSWERED, Status.IN_PROGRESS)


def test_an_answered_appeal_closed_by_the_operator_reopens_within_the_period(taken, operator, customer):
    operators.reply(operator, taken.pk, Reply("Ответ", Status.ANSWERED, []))
    operators.change_status(operator, taken.pk, Status.CLOSED)
    services.add_customer_message(customer, taken.number, "Вопрос остался", [])
    taken.refresh_from_db()
    assert (taken.status, taken.closed_at) == (Status.IN_PROGRESS, None)


def test_customer_message_after_the_reopen_period_is_refused(taken, operator, customer):
    operators.reply(operator, taken.pk, Reply("Ответ", Status.ANSWERED, []))
    set_state(taken, Status.ANSWERED, answered_at=timezone.now() - timedelta(days=31))
    upload = upload_file(customer)
    events = taken.events.count()
    with pytest.raises(AppealRefused, match="более 30 дней"):
        services.add_customer_message(customer, taken.number, "Не согласна", [upload])
    taken.refresh_from_db()
    assert taken.status == Status.ANSWERED
    assert not taken.messages.filter(kind=Message.Kind.CUSTOMER).exists()
    assert taken.events.count() == events
    assert Upload.objects.filter(pk=upload.pk).exists()  # the file is not lost


def test_reopen_period_follows_the_setting(taken, operator, customer, settings):
    settings.KABINET_APPEAL_REOPEN_DAYS = 7
    set_state(taken, Status.ANSWERED, answered_at=timezone.now() - timedelta(days=8))
    with pytest.raises(AppealRefused, match="более 7 дней"):
        services.add_customer_message(customer, taken.number, "Не согласна", [])


def test_customer_cannot_write_to_someone_elses_appeal(taken, sverdlovsk):
    stranger = make_customer("+79120000003", make_account(sverdlovsk, "660100000003"))
    with pytest.raises(Http404):
        services.add_customer_message(stranger, taken.number, "Чужое", [])
    assert not taken.messages.exists()


# --- Automatic closing ----------------------------------------------------------------------


def test_close_answered_closes_only_answered_older_than_the_period(customer, account, reason):
    old, recent, reopened = (make_appeal(customer, account, reason, files=0) for _ in range(3))
    long_ago = timezone.now() - timedelta(days=31)
    set_state(old, Status.ANSWERED, answered_at=long_ago)
    set_state(recent, Status.ANSWERED, answered_at=timezone.now() - timedelta(days=29))
    set_state(reopened, Status.IN_PROGRESS, answered_at=long_ago)  # the customer came back

    assert services.close_answered() == 1

    for appeal in (old, recent, reopened):
        appeal.refresh_from_db()
    assert old.status == Status.CLOSED and old.closed_at is not None
    assert recent.status == Status.ANSWERED and recent.closed_at is None
    assert reopened.status == Status.IN_PROGRESS
    event = old.events.get(kind=Event.Kind.STATUS)
    assert (event.actor, event.from_status, event.to_status) == (None, Status.ANSWERED, Status.CLOSED)
    assert event.details == {"automatic": True}
    assert not recent.events.filter(kind=Event.Kind.STATUS).exists()
    assert services.close_answered() == 0
    assert old.events.filter(kind=Event.Kind.STATUS).count() == 1


def test_closed_automatically_cannot_be_reopened_by_the_customer(customer, account, reason):
    appeal = make_appeal(customer, account, reason, files=0)
    set_state(appeal, Status.ANSWERED, answered_at=timezone.now() - timedelta(days=31))
    services.close_answered()
    with pytest.raises(AppealRefused):
        services.add_customer_message(customer, appeal.number, "Ещё вопрос", [])


# --- Internal notes -------------------------------------------------------------------------


def test_notes_and_their_files_never_reach_the_customer(taken, operator, customer):
    note = operators.add_note(operator, taken.pk, "Клиент звонил, ругался", [upload_file(operator.user, "внутр.pdf")])
    reply = operators.reply(operator, taken.pk, Reply("Ответ", Status.ANSWERED, [upload_file(operator.user)]))
    note_file = note.attachments.get()
    reply_file = reply.attachments.get()
    original = taken.attachments.get(message=None)

    assert note.kind == Message.Kind.NOTE
    assert list(services.public_messages(taken)) == [reply]
    assert set(services.customer_files(taken)) == {original, reply_file}
    with pytest.raises(Http404):
        services.customer_attachment(customer, taken.number, note_file.pk)
    assert not taken.events.filter(kind=Event.Kind.FILE_READ).exists()
    assert services.customer_attachment(customer, taken.number, reply_file.pk) == reply_file
    assert services.customer_attachment(customer, taken.number, original.pk) == original
    # Colleagues see it all.
    assert operators.staff_attachment(operator, taken.pk, note_file.pk) == note_file
    assert Event.Kind.NOTE not in set(services.public_events(taken).values_list("kind", flat=True))


def test_customer_cannot_open_files_of_someone_elses_appeal(taken, sverdlovsk):
    stranger = make_customer("+79120000003", make_account(sverdlovsk, "660100000003"))
    with pytest.raises(Http404):
        services.customer_attachment(stranger, taken.number, taken.attachments.get().pk)
    assert not taken.events.filter(kind=Event.Kind.FILE_READ).exists()


def test_public_events_hide_back_office_work(taken, operator, customer):
    operators.add_note(operator, taken.pk, "Заметка", [])
    operators.staff_attachment(operator, taken.pk, taken.attachments.get().pk)
    kinds = list(services.public_events(taken).values_list("kind", flat=True))
    assert kinds == [Event.Kind.CREATED, Event.Kind.STATUS]


# --- History --------------------------------------------------------------------------------


def test_every_action_leaves_an_event_naming_who(appeal, operator, supervisor, colleague, customer):
    operators.take(operator, appeal.pk)
    operators.reassign(supervisor, appeal.pk, colleague.user_id)
    operators.add_note(colleague, appeal.pk, "Проверить показания", [])
    operators.reply(colleague, appeal.pk, Reply("Пришлите фото счётчика", Status.WAITING, []))
    services.add_customer_message(customer, appeal.number, "Фото", [upload_file(customer, "фото.pdf")])
    operators.reply(colleague, appeal.pk, Reply("Перерасчёт сделан", Status.ANSWERED, []))
    photo = appeal.attachments.get(name="фото.pdf")
    services.customer_attachment(customer, appeal.number, photo.pk)
    operators.staff_attachment(operator, appeal.pk, photo.pk)
    operators.change_status(colleague, appeal.pk, Status.CLOSED)

    history = [(e.kind, e.actor, e.from_status, e.to_status) for e in appeal.events.all()]
    c, op, boss, col = customer, operator.user, supervisor.user, colleague.user
    assert history == [
        (Event.Kind.CREATED, c, "", ""),
        (Event.Kind.ASSIGNED, op, "", ""),
        (Event.Kind.STATUS, op, Status.NEW, Status.IN_PROGRESS),
        (Event.Kind.ASSIGNED, boss, "", ""),
        (Event.Kind.NOTE, col, "", ""),
        (Event.Kind.REPLY, col, "", ""),
        (Event.Kind.STATUS, col, Status.IN_PROGRESS, Status.WAITING),
        (Event.Kind.CUSTOMER_MESSAGE, c, Status.WAITING, Status.IN_PROGRESS),
        (Event.Kind.REPLY, col, "", ""),
        (Event.Kind.STATUS, col, Status.IN_PROGRESS, Status.ANSWERED),
        (Event.Kind.FILE_READ, c, "", ""),
        (Event.Kind.FILE_READ, op, "", ""),
        (Event.Kind.STATUS, col, Status.ANSWERED, Status.CLOSED),
    ]
    reads = appeal.events.filter(kind=Event.Kind.FILE_READ)
    assert all(e.details == {"attachment": photo.pk, "name": "фото.pdf"} for e in reads)
    created = appeal.events.get(kind=Event.Kind.CREATED)
    assert created.details == {"files": 1}
