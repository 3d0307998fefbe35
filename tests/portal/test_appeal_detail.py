"""«Обращение», the customer's page of an appeal (docs/performance.md step 13): read by statements
compiled once a process (appeals.services.customer_appeal_detail, ratings.offer_among), the
message fields of a GET drawn once (portal.appeal_forms.message_fields). The page must be what it
was, byte for byte: each state below is drawn by the view and, from the old view's own reads, by
a copy of the old template (tests/portal/old_templates/appeal_detail.html), CSRF tokens aside."""

from datetime import timedelta
from pathlib import Path
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.appeals import complaints, ratings, services
from kabinet.appeals.models import Appeal, Attachment, Event, Message, StaffRole, Status, Upload
from kabinet.appeals.operators import Reply, add_note, change_status, reply, take
from kabinet.appeals.ratings_models import AnswerRating
from kabinet.portal.appeal_forms import MessageForm
from kabinet.portal.rating_forms import RatingForm
from tests.factories import (
    PDF,
    answer_appeal,
    customer_login,
    make_appeal,
    make_complaint,
    make_customer,
    make_staff,
    orm_compilations,
    upload_file,
)

OLD = Path(__file__).parent / "old_templates" / "appeal_detail.html"
HOSTILE = "<b>\"&'</b>\nвторая строка"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def operator(sverdlovsk) -> StaffRole:
    return make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk, first_name="Ольга")


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


def url(appeal: Appeal) -> str:
    return reverse("portal:appeal", kwargs={"number": appeal.number})


def _old_offer(appeal: Appeal) -> ratings.RatingOffer | None:
    """ratings.offer before step 13: the latest link with its answer, then the answer's rating."""
    link = appeal.rating_links.select_related("answer").order_by("-created_at", "-pk").first()
    if link is None:
        return None
    rating = AnswerRating.objects.filter(answer=link.answer).first()
    return ratings.RatingOffer(answer=link.answer, rating=rating, may_rate=ratings.may_rate(appeal))


def old_page(request, number: str, form, uploads: list, rating_form=None) -> str:
    """The page as the view before step 13 drew it: its reads (querysets the template walked) and
    its context, by the old template."""
    appeal = services.customer_appeal(request.user, number)
    offer = _old_offer(appeal)
    context = {
        "appeal": appeal,
        "conversation": services.public_messages(appeal),
        "history": services.public_events(appeal),
        "files": services.customer_files(appeal).filter(message__isnull=True),
        "can_write": services.can_write(appeal),
        "rating_offer": offer,
        "rating_form": rating_form
        or RatingForm(initial={"comment": offer.rating.comment if offer and offer.rating else ""}),
        "form": form,
        "uploads": uploads,
        "complaint_rows": complaints.rows(appeal),
    }
    return engines["django"].from_string(OLD.read_text(encoding="utf-8")).render(context, request)


def drawn_alike(response, number: str, uploads: list = ()) -> str:
    """The response's page, which must be the old one's drawing of the same request; returns it."""
    page = response.content.decode()
    form = response.context["form"]
    old = old_page(response.wsgi_request, number, form, list(uploads), response.context["rating_form"])
    assert TOKEN.sub("TOKEN", page) == TOKEN.sub("TOKEN", old)
    return page


def viewed(client, appeal: Appeal) -> str:
    response = client.get(url(appeal))
    assert response.status_code == 200
    return drawn_alike(response, appeal.number)


def answer(operator, appeal: Appeal, text: str = "Перерасчёт выполнен.") -> None:
    """answer_appeal of the appeal as it is now (taken or not)."""
    answer_appeal(operator, Appeal.objects.get(pk=appeal.pk), text)


def conversation(customer, operator, appeal: Appeal) -> None:
    """A question with a file, the customer's answer with two, and a note with one (never shown)."""
    take(operator, appeal.pk)
    reply(operator, appeal.pk, Reply(text=HOSTILE, status=Status.WAITING, uploads=[upload_file(operator.user)]))
    files = [upload_file(customer), upload_file(customer, name="фото.pdf")]
    services.add_customer_message(customer, appeal.number, "Прилагаю документы.", files)
    # Uploads' names are made safe: markup reaches a name only by hand, as here.
    Attachment.objects.filter(message__kind=Message.Kind.CUSTOMER, name="справка.pdf").update(name="<i>скан</i>.pdf")
    add_note(operator, appeal.pk, "Только для своих", [upload_file(operator.user, name="заметка.pdf")])


def test_a_new_appeal(signed_in, customer, account, reason):
    page = viewed(signed_in, make_appeal(customer, account, reason, files=0, contact_method="email"))
    assert "Дополнить обращение" in page and "Документы</h3>" not in page


def test_an_appeal_with_its_own_files_and_markup(signed_in, customer, account, reason):
    appeal = make_appeal(customer, account, reason, text=HOSTILE, files=2)
    Attachment.objects.filter(appeal=appeal).update(name="<script>x</script>.pdf")
    page = viewed(signed_in, appeal)
    assert page.count("&lt;script&gt;x&lt;/script&gt;.pdf") == 2 and "<br>вторая строка" in page


def test_a_conversation_with_files_without_the_notes(signed_in, customer, account, reason, operator):
    appeal = make_appeal(customer, account, reason)
    conversation(customer, operator, appeal)
    page = viewed(signed_in, appeal)
    assert "&lt;i&gt;скан&lt;/i&gt;.pdf" in page and "Ответ компании" in page
    assert "Только для своих" not in page and "заметка.pdf" not in page


@pytest.mark.parametrize("score", [None, 5, 1])
def test_an_answer_to_rate(signed_in, customer, account, reason, operator, score):
    appeal = make_appeal(customer, account, reason, files=0)
    conversation(customer, operator, appeal)
    answer(operator, appeal, text=HOSTILE)
    if score is not None:
        ratings.rate_as_customer(customer, appeal.number, score, HOSTILE)
    page = viewed(signed_in, appeal)
    assert "Оцените ответ" in page
    assert ("Не устроил ответ?" in page) == (score == 1)


def test_the_latest_of_two_answers_is_offered(signed_in, customer, account, reason, operator):
    appeal = make_appeal(customer, account, reason, files=0)
    answer(operator, appeal, text="Первый ответ")
    ratings.rate_as_customer(customer, appeal.number, 2, "первый")
    services.add_customer_message(customer, appeal.number, "Не согласна.", [])
    answer(operator, appeal, text="Второй ответ")
    page = viewed(signed_in, appeal)
    assert "Ваша оценка" not in page


@pytest.mark.parametrize("days_ago", [1, 60])
def test_a_closed_appeal(signed_in, customer, account, reason, operator, days_ago):
    """Closed lately: the customer may still write, not rate; closed long ago: neither."""
    appeal = make_appeal(customer, account, reason, files=0)
    answer(operator, appeal)
    ratings.rate_as_customer(customer, appeal.number, 4, "")
    change_status(operator, appeal.pk, Status.CLOSED)
    past = timezone.now() - timedelta(days=days_ago)
    Appeal.objects.filter(pk=appeal.pk).update(answered_at=past, closed_at=past)
    page = viewed(signed_in, appeal)
    assert "оценку изменить нельзя" in page
    assert ("Не согласны с ответом?" in page) == (days_ago == 1)


@pytest.mark.parametrize("reference", ["", "СО-17/<b>"])
def test_a_complaint_new_and_forwarded(signed_in, customer, account, operator, reference):
    appeal = make_complaint(customer, account, files=1)
    page = viewed(signed_in, appeal)
    assert "Жалоба на качество электроснабжения" in page and "Скачать жалобу (PDF)" in page
    take(operator, appeal.pk)
    complaints.forward(
        operator, appeal.pk, complaints.Forwarding(on=timezone.localdate(), company="ООО «Сети»", reference=reference)
    )
    page = viewed(signed_in, appeal)
    assert "Жалоба передана в сетевую организацию" in page


def test_a_complaint_without_its_row_is_not_found(signed_in, customer, account, reason):
    appeal = make_appeal(customer, account, reason, files=0)
    Appeal.objects.filter(pk=appeal.pk).update(kind="complaint")
    assert signed_in.get(url(appeal)).status_code == 404


def test_a_refused_message_keeps_its_file(signed_in, customer, account, reason, operator):
    """The message's form refused (400): its fields drawn with their errors and the file kept."""
    appeal = make_appeal(customer, account, reason)
    answer(operator, appeal)
    kept = SimpleUploadedFile("акт.pdf", PDF)
    response = signed_in.post(
        reverse("portal:appeal_message", kwargs={"number": appeal.number}), {"text": "", "files": [kept]}
    )
    assert response.status_code == 400
    page = drawn_alike(response, appeal.number, list(Upload.objects.filter(owner=customer)))
    assert "Уже приложены" in page and "акт.pdf" in page and "field-invalid" in page


def test_a_refused_rating(signed_in, customer, account, reason, operator):
    appeal = make_appeal(customer, account, reason, files=0)
    answer(operator, appeal)
    response = signed_in.post(reverse("portal:appeal_rating", kwargs={"number": appeal.number}), {"comment": "x"})
    assert response.status_code == 400
    page = drawn_alike(response, appeal.number)
    assert 'id="id_score_error"' in page and "x</textarea>" in page


def test_the_message_fields_drawn_once_are_the_forms(settings):
    """A GET's message fields come from memory: as the form draws them, and again after a
    settings change (the limits they announce)."""
    from kabinet.portal.appeal_forms import _drawn_message_fields, message_fields

    kept = message_fields(MessageForm(), [])
    assert kept == _drawn_message_fields(MessageForm(), []) and message_fields(MessageForm(), []) is kept
    settings.KABINET_APPEAL_TEXT_MAX = 1234
    drawn = message_fields(MessageForm(), [])
    assert 'maxlength="1234"' in drawn and drawn == _drawn_message_fields(MessageForm(), [])
    typed = MessageForm({"text": "Черновик <b>"})
    assert "Черновик &lt;b&gt;" in message_fields(typed, []), "a form as typed is drawn, never the kept one"


# --- whose appeal, and what it costs ---------------------------------------------------------


def test_only_the_customers_own_appeal(client, customer, account, reason, sverdlovsk):
    appeal = make_appeal(customer, account, reason)
    stranger = make_customer("+79120000009")
    customer_login(client, stranger)
    assert client.get(url(appeal)).status_code == 404
    assert client.get(reverse("portal:appeal", kwargs={"number": "нет-такого"})).status_code == 404
    with pytest.raises(services.Http404):
        services.customer_appeal_detail(stranger, appeal.number)
    assert services.customer_appeal_detail(customer, appeal.number).appeal == appeal


def own_queries(client, appeal: Appeal) -> list[str]:
    client.get(url(appeal))  # the footer's contacts and each statement's compilation
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url(appeal)).status_code == 200
    return [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]


def test_a_new_appeal_is_its_read_and_its_history(signed_in, customer, account, reason):
    """The user, the appeal (with whether it has messages and files, and its offer's link), the
    history: no read of messages, files or ratings it has none of."""
    queries = own_queries(signed_in, make_appeal(customer, account, reason, files=0))
    assert len(queries) == 3, queries


def test_an_answered_appeal_is_five_statements_whatever_its_size(signed_in, customer, account, reason, operator):
    """The user, the appeal, its messages with their links and ratings, its files, its history,
    however many of each (was: a statement for the offer's link, one for its rating and one for the
    messages' files on top)."""
    appeal = make_appeal(customer, account, reason, files=2)
    conversation(customer, operator, appeal)
    answer(operator, appeal)
    ratings.rate_as_customer(customer, appeal.number, 3, "")
    assert len(own_queries(signed_in, appeal)) == 5
    conversation_again = Message.objects.filter(appeal=appeal).count()
    services.add_customer_message(customer, appeal.number, "Ещё.", [upload_file(customer)])
    assert len(own_queries(signed_in, appeal)) == 5
    assert Message.objects.filter(appeal=appeal).count() == conversation_again + 1


def test_no_statement_is_compiled_after_the_first_view(signed_in, customer, account, reason, operator):
    appeal = make_appeal(customer, account, reason)
    conversation(customer, operator, appeal)
    answer(operator, appeal)
    signed_in.get(url(appeal))
    with orm_compilations() as compiled:
        assert signed_in.get(url(appeal)).status_code == 200
    assert [sql for sql in compiled if '"django_session"' not in sql] == []


def _key(offer: ratings.RatingOffer | None) -> tuple | None:
    return (offer.answer.pk, offer.rating and (offer.rating.pk, offer.rating.score), offer.may_rate) if offer else None


def test_offer_among_is_offer(customer, account, reason, operator):
    """The offer found among the page's messages, and the compiled ratings.offer, are the one the
    old reads gave (`_old_offer`), in every state: none, not rated, rated, after a second answer,
    closed."""
    appeal = make_appeal(customer, account, reason, files=0)

    def both() -> tuple:
        detail = services.customer_appeal_detail(customer, appeal.number)
        found, read = detail.offer, _old_offer(Appeal.objects.get(pk=appeal.pk))
        assert _key(ratings.offer(Appeal.objects.get(pk=appeal.pk))) == _key(read)
        return _key(found), _key(read)

    states = [both()]
    answer(operator, appeal)
    states.append(both())
    ratings.rate_as_customer(customer, appeal.number, 5, "")
    states.append(both())
    services.add_customer_message(customer, appeal.number, "Ещё вопрос.", [])
    answer(operator, appeal)
    states.append(both())
    change_status(operator, appeal.pk, Status.CLOSED)
    states.append(both())
    assert all(found == read for found, read in states), states
    assert states[0] == (None, None) and states[-1][0][2] is False


def test_an_offer_whose_answer_is_not_among_the_messages_is_read(customer, account, reason, operator):
    """No code issues a link for a note, but were one to, the page offers what ratings.offer does."""
    appeal = make_appeal(customer, account, reason, files=0)
    take(operator, appeal.pk)
    note = add_note(operator, appeal.pk, "заметка", [])
    ratings.issue_link(appeal, note)
    detail = services.customer_appeal_detail(customer, appeal.number)
    assert detail.offer is not None and detail.offer.answer == note
    assert Event.objects.filter(appeal=appeal).exists()
