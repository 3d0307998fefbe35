"""«Оцените ответ» (issue 16): the customer rates the answer from the link in the answer's e-mail,
without logging in, adds a comment, and later sees (and changes) the rating on the appeal's page."""

import re

from playwright.sync_api import expect
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.appeals.ratings_models import AnswerRating
from tests.e2e.helpers import goto, log_in
from tests.factories import answer_appeal, make_appeal, make_staff

GOOD_LINK = re.compile(r"4 — Хорошо: (https?://\S+)")


@pytest.fixture
def answered(customer, account, reason, sverdlovsk, mailbox):
    """An appeal answered by an operator; the customer asked for answers by e-mail."""
    appeal = make_appeal(customer, account, reason, files=0, contact_method="email")
    operator = make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk, first_name="Ольга")
    answer_appeal(operator, appeal, "Перерасчёт сделан, он будет в следующей квитанции.")
    [letter] = [letter for letter in mailbox() if "Оцените ответ" in letter.body]
    return appeal, letter


def test_the_customer_rates_the_answer_from_the_link(page, answered):
    appeal, letter = answered
    assert letter.to == ["anna@example.ru"] and appeal.number in letter.subject
    goto(page, GOOD_LINK.search(letter.body).group(1))
    expect(page.get_by_role("heading", name="Оцените ответ")).to_be_visible()
    expect(page.get_by_label("4 — Хорошо")).to_be_checked()
    assert not AnswerRating.objects.exists(), "opening the link (as a mail scanner does) rates nothing"

    page.get_by_label("5 — Отлично").check()  # changed their mind before sending
    page.get_by_role("button", name="Отправить оценку").click()
    expect(page.get_by_role("heading", name="Спасибо!")).to_be_visible()
    expect(page.get_by_text("Ваша оценка: 5 из 5.")).to_be_visible()
    page.get_by_label("Комментарий (необязательно)").fill("Ответили понятно и в срок.")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_text("Оценка и комментарий сохранены: 5 из 5.")).to_be_visible()

    # The link was good once: opened again, it says so and offers the appeal's page instead.
    goto(page, GOOD_LINK.search(letter.body).group(1))
    expect(page.get_by_text("По этой ссылке оценка уже поставлена")).to_be_visible()
    expect(page.get_by_role("button", name="Отправить оценку")).to_have_count(0)

    # Signed in, the appeal's page shows the rating, and it can still be changed.
    log_in(page, "+79120000001")
    goto(page, f"/appeals/{appeal.number}/")
    rating = page.get_by_role("region", name="Оцените ответ")
    expect(rating.get_by_text("Ваша оценка: 5 из 5 — «Ответили понятно и в срок.»")).to_be_visible()
    rating.get_by_role("button", name="2 — Плохо").click()
    expect(page.get_by_role("status")).to_have_text("Спасибо! Оценка сохранена.")
    expect(page.get_by_text("Не устроил ответ? Вы можете возобновить обращение")).to_be_visible()
    stored = AnswerRating.objects.get()
    assert (stored.score, stored.comment) == (2, "Ответили понятно и в срок.")
