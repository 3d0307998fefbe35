"""«Оцените ответ» (issue 16): the links sent with an answer (single use, 28 days, only their own
appeal), the appeal page's form, low scores, and the back office's figures."""

from datetime import timedelta
import re

from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.appeals import ratings
from kabinet.appeals.models import Appeal, Reason, StaffRole, Status, Topic
from kabinet.appeals.operators import change_status
from kabinet.appeals.ratings_models import AnswerRating, RatingLink
from tests.factories import (
    answer_appeal,
    customer_login,
    in_threads,
    make_account,
    make_appeal,
    make_customer,
    make_staff,
    staff_login,
)

LINK = re.compile(r"https?://\S+/rate/([\w-]+)/(?:(\d)/)?")


@pytest.fixture
def appeal(customer, account, reason):
    return make_appeal(customer, account, reason, files=0, contact_method="email")


def tokens_in(body: str) -> dict[int, str]:
    """Score (0 for the link without one) → token, from a message's text."""
    return {int(score or 0): token for token, score in LINK.findall(body)}


def answered_token(operator, appeal, mailbox) -> str:
    answer_appeal(operator, appeal)
    letter = mailbox()[-1]
    found = tokens_in(letter.body)
    assert set(found) == {1, 2, 3, 4, 5} and len(set(found.values())) == 1, letter.body
    return found[5]


def rate(client, token, score):
    return client.post(reverse("portal:rate", kwargs={"token": token}), {"score": score})


def test_the_answer_mails_five_links_and_the_sms_one(operator, appeal, customer, account, reason, mailbox, outbox):
    token = answered_token(operator, appeal, mailbox)
    assert "Оцените ответ" in mailbox()[-1].body
    assert RatingLink.objects.get().token_hash == ratings._hash(token)
    assert token not in str(list(RatingLink.objects.values())), "only the hash is stored"
    by_sms = make_appeal(customer, account, reason, files=0, contact_method="phone")
    answer_appeal(operator, by_sms)
    sms = outbox.messages()[-1]["text"]
    assert by_sms.number in sms and "Оцените ответ" in sms
    assert list(tokens_in(sms)) == [0], "one link in an SMS"


def test_a_question_to_the_customer_asks_for_no_rating(operator, appeal, mailbox):
    from kabinet.appeals.operators import Reply, reply, take

    take(operator, appeal.pk)
    reply(operator, appeal.pk, Reply(text="Пришлите справку.", status=Status.WAITING, uploads=[]))
    assert not RatingLink.objects.exists() and "Оцените" not in mailbox()[-1].body


def test_opening_the_link_records_nothing_the_button_does(client, operator, appeal, mailbox):
    token = answered_token(operator, appeal, mailbox)
    page = client.get(reverse("portal:rate_score", kwargs={"token": token, "score": 4}))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Отправить оценку" in html and re.search(r'value="4"[^>]* checked', html)
    assert not AnswerRating.objects.exists(), "a mail scanner's GET must not rate"
    thanks = rate(client, token, 4)
    assert thanks.status_code == 200 and "Спасибо!" in thanks.content.decode()
    rating = AnswerRating.objects.get()
    assert (rating.appeal, rating.score, rating.operator) == (appeal, 4, operator.user)


def test_a_link_works_once(client, operator, appeal, mailbox):
    token = answered_token(operator, appeal, mailbox)
    assert rate(client, token, 5).status_code == 200
    again = rate(client, token, 1)
    assert again.status_code == 410
    assert "По этой ссылке оценка уже поставлена" in again.content.decode()
    assert AnswerRating.objects.get().score == 5
    opened = client.get(reverse("portal:rate", kwargs={"token": token}))
    assert opened.status_code == 410 and "Отправить оценку" not in opened.content.decode()


@pytest.mark.parametrize(("age_days", "works"), [(27, True), (29, False)])
def test_a_link_lives_28_days(client, operator, appeal, mailbox, age_days, works):
    token = answered_token(operator, appeal, mailbox)
    RatingLink.objects.update(created_at=timezone.now() - timedelta(days=age_days))
    response = rate(client, token, 3)
    assert AnswerRating.objects.exists() is works
    if not works:
        assert response.status_code == 410 and "Срок действия ссылки истёк" in response.content.decode()


def test_an_unknown_token_is_refused(client, operator, appeal, mailbox):
    answered_token(operator, appeal, mailbox)
    response = rate(client, "x" * 43, 5)
    assert response.status_code == 404 and "Ссылка недействительна" in response.content.decode()
    assert not AnswerRating.objects.exists()


def test_a_token_reaches_only_its_own_appeal(client, operator, appeal, sverdlovsk, reason, mailbox):
    other_account = make_account(sverdlovsk, "660100000002", house="7")
    other = make_customer("+79120000002", other_account, email="boris@example.ru")
    theirs = make_appeal(other, other_account, reason, files=0, contact_method="email")
    mine = answered_token(operator, appeal, mailbox)
    answered_token(operator, theirs, mailbox)
    customer_login(client, other)  # logged in as the other customer: the link still rates its own appeal only
    rate(client, mine, 2)
    assert list(AnswerRating.objects.values_list("appeal", "score")) == [(appeal.pk, 2)]
    # And the signed-in customer cannot rate someone else's appeal through its page's form.
    response = client.post(reverse("portal:appeal_rating", kwargs={"number": appeal.number}), {"score": 5})
    assert response.status_code == 404
    assert AnswerRating.objects.get().score == 2


def test_comment_and_change_after_the_click(client, operator, appeal, mailbox):
    token = answered_token(operator, appeal, mailbox)
    grant = rate(client, token, 3).context["form"].initial["grant"]
    response = client.post(
        reverse("portal:rate_comment"), {"grant": grant, "score": 4, "comment": "Ответили быстро, спасибо."}
    )
    assert response.status_code == 200 and "Оценка и комментарий сохранены: 4 из 5" in response.content.decode()
    rating = AnswerRating.objects.get()
    assert (rating.score, rating.comment) == (4, "Ответили быстро, спасибо.")
    forged = client.post(reverse("portal:rate_comment"), {"grant": grant + "x", "score": 1, "comment": ""})
    assert forged.status_code == 400 and AnswerRating.objects.get().score == 4


def test_the_page_rates_and_changes_while_open_not_once_closed(client, customer, operator, appeal, mailbox):
    answered_token(operator, appeal, mailbox)
    customer_login(client, customer)
    page = client.get(reverse("portal:appeal", kwargs={"number": appeal.number})).content.decode()
    assert "Оцените ответ" in page
    url = reverse("portal:appeal_rating", kwargs={"number": appeal.number})
    client.post(url, {"score": 3, "comment": "Долго"})
    client.post(url, {"score": 5, "comment": "Долго, но верно"})
    rating = AnswerRating.objects.get()
    assert (rating.score, rating.comment) == (5, "Долго, но верно")
    change_status(operator, appeal.pk, Status.CLOSED)
    refused = client.post(url, {"score": 1}, follow=True).content.decode()
    assert "Обращение закрыто, оценить ответ уже нельзя." in refused
    assert AnswerRating.objects.get().score == 5


def test_the_pages_form_refuses_at_its_field_keeping_the_comment(client, customer, operator, appeal, mailbox):
    answered_token(operator, appeal, mailbox)
    customer_login(client, customer)
    url = reverse("portal:appeal_rating", kwargs={"number": appeal.number})
    response = client.post(url, {"comment": "Ответили не по существу"})
    assert response.status_code == 400
    form = response.context["rating_form"]
    assert form.errors == {"score": ["Выберите оценку."]}
    page = response.content.decode()
    assert 'id="id_score_error"' in page and "Выберите оценку." in page
    assert "Ответили не по существу</textarea>" in page
    too_long = client.post(url, {"score": 4, "comment": "а" * 2001})
    assert too_long.status_code == 400
    assert list(too_long.context["rating_form"].errors) == ["comment"]
    assert 'id="id_comment_error"' in too_long.content.decode()
    assert not AnswerRating.objects.exists()


def test_a_link_is_refused_once_the_appeal_is_closed(client, operator, appeal, mailbox):
    token = answered_token(operator, appeal, mailbox)
    change_status(operator, appeal.pk, Status.CLOSED)
    response = rate(client, token, 5)
    assert response.status_code == 410 and "Обращение закрыто" in response.content.decode()
    assert not AnswerRating.objects.exists()


def test_a_low_score_alerts_the_regions_supervisor_once(client, operator, appeal, perm, mailbox):
    boss = make_staff("boss@example.ru", StaffRole.Role.SUPERVISOR, appeal.region, first_name="Мария")
    make_staff("perm-boss@example.ru", StaffRole.Role.SUPERVISOR, perm, first_name="Глеб")
    token = answered_token(operator, appeal, mailbox)
    before = len(mailbox())
    grant = rate(client, token, 1).context["form"].initial["grant"]
    client.post(reverse("portal:rate_comment"), {"grant": grant, "score": 2, "comment": "Не ответили по существу"})
    alerts = mailbox()[before:]
    assert [letter.to for letter in alerts] == [[boss.user.email]]
    assert appeal.number in alerts[0].subject and "на 1 из 5" in alerts[0].body
    assert reverse("backoffice:appeal", kwargs={"pk": appeal.pk}) in alerts[0].body


def test_a_low_score_offers_to_reopen(client, customer, operator, appeal, mailbox):
    token = answered_token(operator, appeal, mailbox)
    thanks = rate(client, token, 2).content.decode()
    assert "Не устроил ответ? Вы можете возобновить обращение" in thanks
    customer_login(client, customer)
    page = client.get(reverse("portal:appeal", kwargs={"number": appeal.number})).content.decode()
    assert "Не устроил ответ? Вы можете возобновить обращение" in page and 'id="write-title"' in page
    client.post(reverse("portal:appeal_message", kwargs={"number": appeal.number}), {"text": "Прошу пересмотреть."})
    assert Appeal.objects.get(pk=appeal.pk).status == Status.IN_PROGRESS


def test_a_good_score_offers_no_reopening(client, operator, appeal, mailbox):
    token = answered_token(operator, appeal, mailbox)
    assert "возобновить" not in rate(client, token, 4).content.decode()


def test_the_link_is_rate_limited_per_address(client, settings, operator, appeal, mailbox):
    settings.KABINET_RATING_LINK_RATE = 2
    token = answered_token(operator, appeal, mailbox)
    url = reverse("portal:rate", kwargs={"token": token})
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


# --- The back office ----------------------------------------------------------------------


def rated(operator, customer, account, reason, score: int, months_ago: int = 0) -> AnswerRating:
    appeal = make_appeal(customer, account, reason, files=0)
    answer = answer_appeal(operator, appeal)
    answer.created_at = timezone.now() - timedelta(days=31 * months_ago)
    answer.save(update_fields=["created_at"])
    return ratings._save(appeal, answer, score)


def test_the_summary_by_operator_topic_and_month(operator, colleague, customer, account, reason):
    payment = Reason.objects.create(topic=Topic.objects.get(name="Оплата"), name="Не прошёл платёж")
    for score in (5, 4, 1):
        rated(operator, customer, account, reason, score)
    rated(colleague, customer, account, payment, 3, months_ago=2)
    boss = make_staff("boss@example.ru", StaffRole.Role.SUPERVISOR, account.region)
    summary = ratings.summary(boss)
    rows = {name: [(r.label, r.count, round(r.average, 2), r.good_share) for r in getattr(summary, name)]
            for name in ("by_operator", "by_topic")}  # fmt: skip
    assert rows["by_operator"] == [("Ольга Сотрудник", 3, 3.33, 67), ("Пётр Сотрудник", 1, 3.0, 0)]
    assert rows["by_topic"] == [("Лицевой счёт", 3, 3.33, 67), ("Оплата", 1, 3.0, 0)]
    assert [(r.count, r.good) for r in summary.by_month] == [(3, 2), (1, 0)], "newest month first"
    assert (summary.total.count, summary.total.good_share) == (4, 50)


def test_the_page_is_the_supervisors_and_their_regions(client, operator, customer, account, reason, perm):
    rated(operator, customer, account, reason, 5)
    staff_login(client, operator.user)
    assert client.get(reverse("backoffice:ratings")).status_code == 403
    boss = make_staff("boss@example.ru", StaffRole.Role.SUPERVISOR, account.region)
    staff_login(client, boss.user)
    page = client.get(reverse("backoffice:ratings")).content.decode()
    assert "Оценки ответов" in page and "Ольга Сотрудник" in page and "100&nbsp;%" in page
    elsewhere = make_staff("perm-boss@example.ru", StaffRole.Role.SUPERVISOR, perm)
    staff_login(client, elsewhere.user)
    assert "Оценок пока нет" in client.get(reverse("backoffice:ratings")).content.decode()


def test_the_admin_shows_ratings_read_only(admin_client, operator, customer, account, reason):
    rating = rated(operator, customer, account, reason, 4)
    assert admin_client.get(reverse("admin:appeals_answerrating_changelist")).status_code == 200
    page = admin_client.get(reverse("admin:appeals_answerrating_change", args=[rating.pk]))
    assert page.status_code == 200 and 'name="score"' not in page.content.decode()
    assert admin_client.post(reverse("admin:appeals_answerrating_delete", args=[rating.pk])).status_code == 403
    assert AnswerRating.objects.filter(pk=rating.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_use_the_link_once(operator, appeal):
    answer_appeal(operator, appeal)
    token = "known-token-for-the-race"
    RatingLink.objects.update(token_hash=ratings._hash(token))

    results = in_threads(4, lambda i: ratings.rate_by_link(token, 5 - i))

    recorded = [r for r in results if isinstance(r, AnswerRating)]
    refused = [r for r in results if isinstance(r, ratings.RatingRefused)]
    assert len(recorded) == 1 and len(refused) == 3, results
    assert AnswerRating.objects.get().score == recorded[0].score


@pytest.mark.django_db(transaction=True)
def test_a_link_click_waits_for_a_close_in_progress_and_is_refused(operator, appeal):
    """The appeal is being closed (its row locked, not yet committed) when the link's button is
    pressed: the click waits for the close and is refused, as the page's form is."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    import psycopg

    from tests.factories import database_url, wait_until

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    answer_appeal(operator, appeal)
    token = "known-token-for-the-close-race"
    RatingLink.objects.update(token_hash=ratings._hash(token))

    def click():
        try:
            return ratings.rate_by_link(token, 5)
        except ratings.RatingRefused as refused:
            return refused
        finally:
            connection.close()

    waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    with psycopg.connect(database_url(), autocommit=True) as watch, psycopg.connect(database_url()) as closing:
        closing.execute(
            "UPDATE appeals_appeal SET status = %s, closed_at = now() WHERE id = %s", [Status.CLOSED, appeal.pk]
        )
        with ThreadPoolExecutor(1) as pool:
            result = pool.submit(click)
            wait_until(lambda: result.done() or watch.execute(waiting).fetchone()[0], "the click waiting or done")
            closing.commit()
            outcome = result.result()
    assert isinstance(outcome, ratings.RatingRefused) and "Обращение закрыто" in str(outcome), outcome
    assert not AnswerRating.objects.exists()


def test_the_back_office_appeal_shows_the_rating_under_the_answer(client, operator, appeal, mailbox):
    token = answered_token(operator, appeal, mailbox)
    grant = rate(client, token, 2).context["form"].initial["grant"]
    client.post(reverse("portal:rate_comment"), {"grant": grant, "score": 2, "comment": "Не по существу"})
    staff_login(client, operator.user)
    page = client.get(reverse("backoffice:appeal", kwargs={"pk": appeal.pk})).content.decode()
    assert "Оценка клиента: 2 из 5 — «Не по существу»" in page


def test_the_expiry_refusal_names_the_days_set_now(settings):
    settings.KABINET_RATING_LINK_DAYS = 3
    assert "она действует 3 дней" in ratings.LinkCheck(ratings.LinkState.EXPIRED).refusal
