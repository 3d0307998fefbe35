"""«Обращение» keeps its thread — the appeal's own documents, its conversation and its history —
drawn in the cache (portal.fragments.appeal_thread_html), keyed by the rows it shows: whatever
changed them shows on the next view. On PostgreSQL the rows are digested by the database in the
appeal's own statement (appeals.services, `thread_digest`), elsewhere by Python from the rows read:
both are tested by the same changes (this suite runs on both). What is drawn per request — the
facts, a complaint's decrypted rows, the offer to rate and the message form with their CSRF token —
is never kept."""

from datetime import timedelta
import re
import zlib

from django.core.cache import cache
from django.db import connection
from django.urls import reverse
import pytest

from kabinet.appeals import complaints, ratings, services
from kabinet.appeals.models import Appeal, Attachment, Event, Message, StaffRole, Status
from kabinet.appeals.operators import Reply, add_note, change_status, reply, take
from kabinet.appeals.ratings_models import AnswerRating
from kabinet.portal import fragments
from tests.factories import (
    PASSPORT_NUMBER,
    PASSPORT_SERIES,
    answer_appeal,
    customer_login,
    make_account,
    make_appeal,
    make_complaint,
    make_customer,
    make_staff,
    upload_file,
)

CHANGING = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|nonce="[^"]+"')


@pytest.fixture
def operator(sverdlovsk) -> StaffRole:
    return make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)


@pytest.fixture
def appeal(customer, account, reason, operator) -> Appeal:
    """An appeal with a document of its own, a question with a file, the customer's answer with one,
    and an answer."""
    appeal = make_appeal(customer, account, reason, files=1)
    take(operator, appeal.pk)
    reply(
        operator,
        appeal.pk,
        Reply(text="Пришлите квитанцию.", status=Status.WAITING, uploads=[upload_file(operator.user)]),
    )
    services.add_customer_message(customer, appeal.number, "Квитанция во вложении.", [upload_file(customer, "чек.pdf")])
    answer_appeal(operator, Appeal.objects.get(pk=appeal.pk), "Перерасчёт выполнен.")
    return Appeal.objects.get(pk=appeal.pk)


@pytest.fixture
def drawings(monkeypatch) -> list:
    """Each drawing of a thread (portal.templatetags.appeal_page.thread_parts), as it is made."""
    made = []
    draw = fragments.thread_parts

    def counted(*args):
        made.append(draw(*args))
        return made[-1]

    monkeypatch.setattr(fragments, "thread_parts", counted)
    return made


@pytest.fixture
def page(client, customer, appeal):
    customer_login(client, customer)

    def page() -> str:
        response = client.get(reverse("portal:appeal", kwargs={"number": appeal.number}))
        assert response.status_code == 200
        return CHANGING.sub("", response.content.decode())

    return page


def test_the_thread_is_drawn_once_and_then_served_from_the_cache(page, drawings):
    first = page()
    assert len(drawings) == 1
    assert page() == first and len(drawings) == 1
    own, conversation, history = drawings[0]
    assert "<h3>Документы</h3>" in own and "чек.pdf" in conversation and "Дан ответ" in history
    assert all(part in first for part in drawings[0])


def a_customer_message(case):
    services.add_customer_message(
        case.customer, case.appeal.number, "Ещё один вопрос.", [upload_file(case.customer, "акт.pdf")]
    )
    return "Ещё один вопрос."


def an_operator_reply(case):
    change_status(case.operator, case.appeal.pk, Status.IN_PROGRESS)  # answered: back to work first
    reply(case.operator, case.appeal.pk, Reply(text="Ответ на вопрос.", status=Status.ANSWERED, uploads=[]))
    return "Ответ на вопрос."


def a_status_change(case):
    change_status(case.operator, case.appeal.pk, Status.CLOSED)
    return "Изменено состояние: Закрыто"


def an_event_recorded(case):
    services.record(case.appeal, Event.Kind.LETTER_SENT, case.operator.user)
    return "Ответ отправлен письмом"


def a_document_added(case):
    services.attach_uploads(case.appeal, [upload_file(case.customer, "опись.pdf")], case.customer)
    return "опись.pdf"


def a_message_edited(case):
    Message.objects.filter(appeal=case.appeal, kind=Message.Kind.CUSTOMER).update(text="Исправленный текст.")
    return "Исправленный текст."


def texts_swapped_between_messages(case):
    """A row's hash is a sum of its columns' (PostgreSQL's hash_record_extended): summed, the rows'
    hashes would not see values swapped between rows."""
    question, answer = Message.objects.filter(appeal=case.appeal, kind=Message.Kind.REPLY).order_by("pk")
    Message.objects.filter(pk=question.pk).update(text=answer.text)
    Message.objects.filter(pk=answer.pk).update(text=question.text)
    return None


def a_message_hidden(case):
    Message.objects.filter(appeal=case.appeal, kind=Message.Kind.CUSTOMER).update(kind=Message.Kind.NOTE)
    return None


def a_file_renamed(case):
    Attachment.objects.filter(appeal=case.appeal, name="чек.pdf").update(name="кассовый чек.pdf")
    return "кассовый чек.pdf"


def a_file_resized(case):
    Attachment.objects.filter(appeal=case.appeal, name="чек.pdf").update(size=5 * 1024 * 1024)
    return "5,0\xa0МБ"


def an_event_moved(case):
    created = Event.objects.get(appeal=case.appeal, kind=Event.Kind.CREATED)
    Event.objects.filter(pk=created.pk).update(at=created.at - timedelta(days=400))
    return None


CHANGES = [
    a_customer_message,
    an_operator_reply,
    a_status_change,
    an_event_recorded,
    a_document_added,
    a_message_edited,
    texts_swapped_between_messages,
    a_message_hidden,
    a_file_renamed,
    a_file_resized,
    an_event_moved,
]


class Case:
    def __init__(self, customer, operator, appeal):
        self.customer, self.operator, self.appeal = customer, operator, appeal


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_of_its_thread_shows_at_once(page, drawings, customer, operator, appeal, change):
    before = page()
    assert page() == before and len(drawings) == 1
    shown = change(Case(customer, operator, Appeal.objects.get(pk=appeal.pk)))
    after = page()
    assert len(drawings) == 2, "drawn again"
    assert after != before and drawings[1] != drawings[0]
    assert shown is None or (shown in after and shown not in before)


def test_a_note_neither_shows_nor_draws_again(page, drawings, operator, appeal):
    before = page()
    add_note(operator, appeal.pk, "Только для своих", [upload_file(operator.user, "заметка.pdf")])
    assert page() == before and len(drawings) == 1


def test_a_rating_shows_at_once(page, drawings, customer, appeal):
    """The offer is read with the appeal on every view (it is not in the thread): made, changed to a
    low score by hand, each shows on the next view, and the thread is not drawn again."""
    assert "Ваша оценка" not in page()
    ratings.rate_as_customer(customer, appeal.number, 4, "Спасибо")
    assert "Ваша оценка: 4 из 5 — «Спасибо»." in page()
    AnswerRating.objects.filter(appeal=appeal).update(score=2, comment="")
    shown = page()
    assert "Ваша оценка: 2 из 5." in shown and "Не устроил ответ?" in shown
    assert 'value="2" class="button button-primary" aria-label="2 — Плохо" aria-pressed="true"' in shown
    assert len(drawings) == 1


class Spy:
    """The cache, with every value stored kept for the test to read."""

    def __init__(self):
        self.stored = []

    def get(self, key):
        return cache.get(key)

    def set(self, key, value, timeout):
        self.stored.append(value)
        cache.set(key, value, timeout)


def test_nothing_per_request_or_personal_is_kept(client, customer, account, operator, monkeypatch):
    """A complaint's thread is kept as any appeal's; its decrypted rows, the CSRF tokens and the
    nonce are drawn per request, around it."""
    spy = Spy()
    monkeypatch.setattr(fragments, "django_cache", spy)
    complaint = make_complaint(customer, account, files=1)
    take(operator, complaint.pk)
    customer_login(client, customer)
    response = client.get(reverse("portal:appeal", kwargs={"number": complaint.number}))
    page = response.content.decode()
    shown = dict(complaints.rows(complaint))  # decrypted for the page
    personal = [
        PASSPORT_SERIES,
        PASSPORT_NUMBER,
        shown["Фамилия, имя, отчество"],
        shown["Дата рождения"],
        shown["Место рождения"],
    ]
    assert all(value in page for value in personal)
    [kept] = [zlib.decompress(value).decode() for value in spy.stored]
    assert "Обращение зарегистрировано" in kept and "справка.pdf" in kept
    for secret in [*personal, "csrfmiddlewaretoken", "nonce", "Жалоба на качество"]:
        assert secret not in kept


def test_a_customer_never_gets_anothers_thread(client, page, appeal, reason, sverdlovsk):
    page()  # hers, kept
    other = make_account(sverdlovsk, "660100000055", house="5")
    stranger = make_customer("+79120000055", other)
    theirs = make_appeal(stranger, other, reason, files=0, text="Чужое обращение.")
    customer_login(client, stranger)
    assert client.get(reverse("portal:appeal", kwargs={"number": appeal.number})).status_code == 404
    shown = client.get(reverse("portal:appeal", kwargs={"number": theirs.number})).content.decode()
    assert "Чужое обращение." in shown and "чек.pdf" not in shown and "Переписка" not in shown


def test_the_digest_is_the_appeals_own(customer, appeal, reason, sverdlovsk):
    """The thread's rows digested by the database: another customer's appeal with the same texts
    and files has its own digest, and a change of it leaves this one's alone."""
    if connection.vendor != "postgresql":
        pytest.skip("the rows digested by the database are PostgreSQL's (elsewhere: by Python)")
    other = make_account(sverdlovsk, "660100000055", house="5")
    stranger = make_customer("+79120000055", other)
    theirs = make_appeal(stranger, other, reason, files=1)

    def digests() -> tuple[str, str]:
        ours = services.customer_appeal_detail(customer, appeal.number).appeal.thread_digest
        return ours, services.customer_appeal_detail(stranger, theirs.number).appeal.thread_digest

    before = digests()
    assert before[0] and before[1] and before[0] != before[1]
    Attachment.objects.filter(appeal=theirs).update(name="другое.pdf")
    after = digests()
    assert after[0] == before[0] and after[1] != before[1]
