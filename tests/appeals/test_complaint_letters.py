"""«Письмом по почте»: the letter is due after each answer until marked sent, by whom and on
what that may be marked, the queue's set of letters due, and what the API says."""

import pytest

from kabinet.appeals import complaints
from kabinet.appeals.models import Appeal, Event, Status
from kabinet.appeals.operators import Reply, change_status, reply, take
from kabinet.appeals.services import AppealRefused
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db


def answer(operator, appeal, text="Акт проверки приложен."):
    reply(operator, appeal.pk, Reply(text, Status.ANSWERED, []))
    appeal.refresh_from_db()


def test_the_letter_due_is_recorded_by_the_operator_who_answered(customer, account, operator, outbox):
    appeal = make_complaint(customer, account, contact_method=complaints.BY_LETTER)
    take(operator, appeal.pk)
    answer(operator, appeal)
    due = appeal.events.get(kind=Event.Kind.LETTER_DUE)
    assert due.actor == operator.user
    text = outbox.messages()[-1]["text"]
    assert text.index("Ответ также отправим письмом по почте.") < text.index("Посмотреть:")


def test_a_question_is_no_letter(customer, account, operator):
    appeal = make_complaint(customer, account, contact_method=complaints.BY_LETTER)
    take(operator, appeal.pk)
    reply(operator, appeal.pk, Reply("Уточните адрес.", Status.WAITING, []))
    assert not appeal.events.filter(kind=Event.Kind.LETTER_DUE).exists()


def test_a_second_answer_makes_the_letter_due_again(customer, account, operator):
    appeal = make_complaint(customer, account, contact_method=complaints.BY_LETTER)
    take(operator, appeal.pk)
    answer(operator, appeal)
    complaints.letter_sent(operator, appeal.pk)
    appeal.refresh_from_db()
    assert not complaints.letter_due(appeal)
    change_status(operator, appeal.pk, Status.IN_PROGRESS)
    answer(operator, appeal, "Дополнение к ответу.")
    assert complaints.letter_due(appeal)
    assert appeal.events.filter(kind=Event.Kind.LETTER_DUE).count() == 2
    complaints.letter_sent(operator, appeal.pk)
    assert appeal.events.filter(kind=Event.Kind.LETTER_SENT).count() == 2


def test_a_letter_is_marked_only_by_the_assignee(customer, account, operator, colleague):
    appeal = make_complaint(customer, account, contact_method=complaints.BY_LETTER)
    take(operator, appeal.pk)
    answer(operator, appeal)
    with pytest.raises(AppealRefused, match="Сначала возьмите обращение в работу"):
        complaints.letter_sent(colleague, appeal.pk)
    appeal.complaint.refresh_from_db()
    assert appeal.complaint.letter_sent_at is None
    assert not appeal.events.filter(kind=Event.Kind.LETTER_SENT).exists()


def test_no_letter_for_a_complaint_answered_otherwise(customer, account, operator):
    appeal = make_complaint(customer, account, contact_method="phone")
    take(operator, appeal.pk)
    answer(operator, appeal)
    with pytest.raises(AppealRefused, match="письмо уже отмечено отправленным"):
        complaints.letter_sent(operator, appeal.pk)
    assert not appeal.events.filter(kind__in=[Event.Kind.LETTER_DUE, Event.Kind.LETTER_SENT]).exists()


def test_letters_due_is_the_set_the_page_asks_about(customer, account, operator):
    waiting = make_complaint(customer, account, contact_method=complaints.BY_LETTER)
    due = make_complaint(customer, account, contact_method=complaints.BY_LETTER)
    sent = make_complaint(customer, account, contact_method=complaints.BY_LETTER)
    by_sms = make_complaint(customer, account)
    for appeal in (due, sent, by_sms):
        take(operator, appeal.pk)
        answer(operator, appeal)
    complaints.letter_sent(operator, sent.pk)
    listed = set(complaints.letters_due(Appeal.objects.all()))
    assert listed == {due}
    for appeal in (waiting, due, sent, by_sms):
        appeal.refresh_from_db()
        assert complaints.letter_due(appeal) == (appeal in listed), appeal.number


def test_the_answer_method_names_the_letter(customer, account):
    assert complaints.answer_method(make_complaint(customer, account, contact_method=complaints.BY_LETTER)) == "post"
    assert complaints.answer_method(make_complaint(customer, account, contact_method="email")) == "email"
