"""«Обращение», the customer's page of an appeal (docs/performance.md steps 13 and 20): the appeal
and the offer to rate its answer read in one statement compiled once a process
(appeals.services.customer_appeal_detail, ratings.offer_shown), its thread kept drawn under a
digest of its rows (portal.fragments.appeal_thread_html; tests/portal/test_appeal_thread_cache.py),
the rest written by Python (portal.templatetags.appeal_page) with no form built for a GET. The page
must be what it was, byte for byte: each state below is drawn by the view and, from the old view's
own reads, by a copy of the old template (tests/portal/old_templates/appeal_detail.html), CSRF
tokens aside — drawn afresh and from the cache alike."""

from dataclasses import dataclass
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


@dataclass(frozen=True)
class OldOffer:
    """ratings.RatingOffer as the old template read it (with `low`, now OfferShown's)."""

    answer: Message
    rating: AnswerRating | None
    may_rate: bool

    @property
    def low(self) -> bool:
        return self.rating is not None and self.rating.score <= ratings.LOW


def _old_offer(appeal: Appeal) -> OldOffer | None:
    """ratings.offer before step 13: the latest link with its answer, then the answer's rating."""
    link = appeal.rating_links.select_related("answer").order_by("-created_at", "-pk").first()
    if link is None:
        return None
    rating = AnswerRating.objects.filter(answer=link.answer).first()
    return OldOffer(answer=link.answer, rating=rating, may_rate=ratings.may_rate(appeal))


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
    """The response's page, which must be the old one's drawing of the same request; returns it.
    A GET builds no form: the old template drew an unbound one."""
    page = response.content.decode()
    form = response.context["form"] or MessageForm()
    old = old_page(response.wsgi_request, number, form, list(uploads), response.context["rating_form"])
    assert TOKEN.sub("TOKEN", page) == TOKEN.sub("TOKEN", old)
    return page


def viewed(client, appeal: Appeal) -> str:
    """The page drawn (its thread too), then served with its thread from the cache: both the old
    page's bytes."""
    pages = []
    for _ in range(2):
        response = client.get(url(appeal))
        assert response.status_code == 200
        pages.append(TOKEN.sub("TOKEN", drawn_alike(response, appeal.number)))
    assert pages[0] == pages[1]
    return pages[0]


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
    assert message_fields(None, []) is kept, "a GET builds no form: its fields are the unbound form's"
    settings.KABINET_APPEAL_TEXT_MAX = 1234
    drawn = message_fields(MessageForm(), [])
    assert 'maxlength="1234"' in drawn and drawn == _drawn_message_fields(MessageForm(), [])
    typed = MessageForm({"text": "Черновик <b>"})
    assert "Черновик &lt;b&gt;" in message_fields(typed, []), "a form as typed is drawn, never the kept one"


def test_the_rating_comment_drawn_once_is_the_forms(settings):
    """A GET builds no rating form: its empty comment field comes from memory, as the form draws
    it, and again after a settings change; a comment given is drawn into the form."""
    from kabinet.portal.templatetags.appeal_page import _comment_field

    kept = _comment_field("")
    assert kept == RatingForm()["comment"].as_field_group() and _comment_field("") is kept
    settings.FORM_RENDERER = "kabinet.core.forms.KabinetFormRenderer"
    assert _comment_field("") is not kept and _comment_field("") == kept
    given = _comment_field("Долго <b>")
    assert given == RatingForm(initial={"comment": "Долго <b>"})["comment"].as_field_group()
    assert "Долго &lt;b&gt;</textarea>" in given


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


def kept_on_postgresql(count: int) -> int:
    """A page whose thread is kept: the user and the appeal on PostgreSQL, which digests the thread
    in the appeal's statement; elsewhere the thread's rows are read to be digested (`count`)."""
    return 2 if connection.vendor == "postgresql" else count


def test_a_new_appeal_is_its_read_and_its_history(signed_in, customer, account, reason):
    """The user, the appeal (with its offer, whether it has messages and files, and on PostgreSQL
    its thread's digest), the history where it is read: no read of messages or files it has none of."""
    queries = own_queries(signed_in, make_appeal(customer, account, reason, files=0))
    assert len(queries) == kept_on_postgresql(3), queries


def test_an_answered_appeal_is_two_statements_whatever_its_size(signed_in, customer, account, reason, operator):
    """The user and the appeal with its offer and its thread's digest, however large the thread
    (step 13: its messages, files and history too; before, the offer's link and rating on top).
    Where the thread is read: its messages, its files, its history."""
    appeal = make_appeal(customer, account, reason, files=2)
    conversation(customer, operator, appeal)
    answer(operator, appeal)
    ratings.rate_as_customer(customer, appeal.number, 3, "")
    assert len(own_queries(signed_in, appeal)) == kept_on_postgresql(5)
    conversation_again = Message.objects.filter(appeal=appeal).count()
    services.add_customer_message(customer, appeal.number, "Ещё.", [upload_file(customer)])
    assert len(own_queries(signed_in, appeal)) == kept_on_postgresql(5)
    assert Message.objects.filter(appeal=appeal).count() == conversation_again + 1


def test_no_statement_is_compiled_after_the_first_view(signed_in, customer, account, reason, operator):
    appeal = make_appeal(customer, account, reason)
    conversation(customer, operator, appeal)
    answer(operator, appeal)
    signed_in.get(url(appeal))
    with orm_compilations() as compiled:
        assert signed_in.get(url(appeal)).status_code == 200
    assert [sql for sql in compiled if '"django_session"' not in sql] == []


def _shown(offer: ratings.OfferShown | None) -> tuple | None:
    """What the page shows of an offer: the rating's score and comment, whether it may be rated."""
    return None if offer is None else (offer.score, offer.comment, offer.may_rate)


def _read(offer: ratings.RatingOffer | OldOffer | None) -> tuple | None:
    """The same of an offer read as rows (the old reads, ratings.offer)."""
    if offer is None:
        return None
    rating = offer.rating
    return (rating.score if rating else None, rating.comment if rating else "", offer.may_rate)


def test_offer_shown_is_offer(customer, account, reason, operator):
    """The offer read as the appeal's columns (ratings.latest_rating_columns, offer_shown) is what
    the old reads gave (`_old_offer`) and the compiled ratings.offer gives, in every state: none,
    not rated, rated with a comment, after a second answer, closed."""
    appeal = make_appeal(customer, account, reason, files=0)

    def both() -> tuple:
        shown = _shown(services.customer_appeal_detail(customer, appeal.number).offer)
        old = _read(_old_offer(Appeal.objects.get(pk=appeal.pk)))
        assert _read(ratings.offer(Appeal.objects.get(pk=appeal.pk))) == old
        return shown, old

    states = [both()]
    answer(operator, appeal)
    states.append(both())
    ratings.rate_as_customer(customer, appeal.number, 2, "Долго")
    states.append(both())
    services.add_customer_message(customer, appeal.number, "Ещё вопрос.", [])
    answer(operator, appeal)
    states.append(both())
    ratings.rate_as_customer(customer, appeal.number, 5, "")
    states.append(both())
    change_status(operator, appeal.pk, Status.CLOSED)
    states.append(both())
    assert all(shown == old for shown, old in states), states
    assert [shown for shown, _ in states] == [
        None,
        (None, "", True),
        (2, "Долго", True),
        (None, "", True),
        (5, "", True),
        (5, "", False),
    ]


def test_the_offer_is_the_latest_links_whatever_its_answer(customer, account, reason, operator):
    """No code issues a link for a note, but were one to, the page offers what ratings.offer does."""
    appeal = make_appeal(customer, account, reason, files=0)
    answer(operator, appeal)
    ratings.rate_as_customer(customer, appeal.number, 4, "")
    note = add_note(operator, appeal.pk, "заметка", [])
    ratings.issue_link(appeal, note)
    assert _shown(services.customer_appeal_detail(customer, appeal.number).offer) == (None, "", True)
    assert ratings.offer(appeal).answer == note
    assert Event.objects.filter(appeal=appeal).exists()
