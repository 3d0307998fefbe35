"""«Распечатать письмо»: the answer to a complaint answered «письмом по почте» as an A4 PDF
addressed to the customer's place of residence, for the region's staff only."""

from django.urls import reverse
import pytest

from kabinet.appeals.models import Event, StaffRole
from kabinet.appeals.operators import take
from tests.factories import make_complaint, make_staff, pdf_text, staff_login


@pytest.fixture
def by_post(customer, account):
    return make_complaint(customer, account, contact_method="post")


def letter(client, appeal):
    return client.get(reverse("backoffice:answer_letter_pdf", args=[appeal.pk]))


def test_the_answer_prints_as_a_letter_to_the_residence(staff_client, operator, by_post):
    take(operator, by_post.pk)
    assert letter(staff_client, by_post).status_code == 404  # nothing answered yet
    page = staff_client.get(reverse("backoffice:appeal", args=[by_post.pk])).content.decode()
    assert "Распечатать письмо" not in page
    staff_client.post(
        reverse("backoffice:reply", args=[by_post.pk]), {"text": "Напряжение восстановлено.", "status": "answered"}
    )
    page = staff_client.get(reverse("backoffice:appeal", args=[by_post.pk])).content.decode()
    assert "Распечатать письмо" in page
    response = letter(staff_client, by_post)
    text = " ".join(pdf_text(b"".join(response.streaming_content)).split())
    assert response["Content-Type"] == "application/pdf"
    assert "Иванова Анна Петровна" in text and "Ленина" in text
    assert f"Ответ на жалобу № {by_post.number} от" in text and "Напряжение восстановлено." in text
    assert "Ирина" in text  # the operator who answered
    assert by_post.events.filter(kind=Event.Kind.FILE_READ, details__name="answer-letter.pdf").exists()


def test_no_letter_for_an_answer_in_the_cabinet_or_another_region(
    client, staff_client, operator, customer, account, by_post, perm
):
    online = make_complaint(customer, account)
    for appeal in (online, by_post):
        take(operator, appeal.pk)
        staff_client.post(reverse("backoffice:reply", args=[appeal.pk]), {"text": "Готово.", "status": "answered"})
    assert letter(staff_client, online).status_code == 404
    assert letter(staff_client, by_post).status_code == 200
    other = make_staff("perm@example.ru", StaffRole.Role.OPERATOR, perm)
    staff_login(client, other.user)
    assert letter(client, by_post).status_code == 404
