"""Complaints in the back office: the queue filter, the fields for the region's staff only,
the PDF, forwarding to the network company, the answer with the inspection act."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.appeals.models import Event, StaffRole, Status
from kabinet.appeals.operators import take
from tests.factories import (
    PASSPORT_NUMBER,
    PDF,
    crash_report,
    make_appeal,
    make_complaint,
    make_staff,
    pdf_text,
    staff_login,
    unreadable_document_type,
)


@pytest.fixture
def complaint(customer, account):
    return make_complaint(customer, account)


def test_the_queue_filters_complaints(staff_client, complaint, customer, account, reason):
    plain = make_appeal(customer, account, reason)
    page = staff_client.get(reverse("backoffice:queue"), {"complaints": "on"}).content.decode()
    assert complaint.number in page and plain.number not in page
    assert "Жалобы на качество" in page


def test_the_regions_operator_sees_the_fields_and_the_pdf(staff_client, complaint):
    page = staff_client.get(reverse("backoffice:appeal", args=[complaint.pk])).content.decode()
    assert PASSPORT_NUMBER in page and "Жалоба на качество электроснабжения" in page
    response = staff_client.get(reverse("backoffice:complaint_pdf", args=[complaint.pk]))
    assert PASSPORT_NUMBER in pdf_text(b"".join(response.streaming_content))


def test_an_operator_of_another_region_gets_404(client, complaint, perm):
    other = make_staff("perm@example.ru", StaffRole.Role.OPERATOR, perm)
    staff_login(client, other.user)
    assert client.get(reverse("backoffice:appeal", args=[complaint.pk])).status_code == 404
    assert client.get(reverse("backoffice:complaint_pdf", args=[complaint.pk])).status_code == 404
    response = client.post(
        reverse("backoffice:forward", args=[complaint.pk]), {"on": "2026-11-21", "company": "X", "reference": "1"}
    )
    assert response.status_code == 404


def test_forward_then_answer_with_the_act(staff_client, operator, complaint, outbox):
    take(operator, complaint.pk)
    today = timezone.localdate().isoformat()
    refused = staff_client.post(reverse("backoffice:forward", args=[complaint.pk]), {"on": today, "company": "ЕЭСК"})
    assert refused.status_code == 400
    assert "Укажите номер, который дала сетевая организация." in refused.content.decode()
    staff_client.post(
        reverse("backoffice:forward", args=[complaint.pk]), {"on": today, "company": "ЕЭСК", "reference": "СО-17/2"}
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.FORWARDED
    act = SimpleUploadedFile("акт проверки.pdf", PDF, content_type="application/pdf")
    staff_client.post(
        reverse("backoffice:reply", args=[complaint.pk]),
        {"text": "Проверка проведена, акт приложен.", "status": Status.ANSWERED, "files": [act]},
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.ANSWERED
    assert complaint.attachments.filter(name="акт проверки.pdf", message__isnull=False).exists()


def test_a_crash_on_the_appeal_page_or_pdf_reports_no_document(staff_client, complaint, caplog):
    unreadable_document_type(complaint)
    for url in (
        reverse("backoffice:appeal", args=[complaint.pk]),
        reverse("backoffice:complaint_pdf", args=[complaint.pk]),
    ):
        report = crash_report(staff_client, url, caplog)
        assert "withdrawn" in report and "identity" in report, url
        assert PASSPORT_NUMBER not in report and "Свердловск" not in report, url


def test_a_future_forwarding_date_is_refused_at_its_field(staff_client, operator, complaint):
    take(operator, complaint.pk)
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    response = staff_client.post(
        reverse("backoffice:forward", args=[complaint.pk]), {"on": tomorrow, "company": "ЕЭСК", "reference": "1"}
    )
    assert response.status_code == 400
    form = response.context["forward_form"]
    assert form.errors == {"on": ["Дата передачи не может быть в будущем."]}
    assert 'id="forward_on_error"' in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status != Status.FORWARDED


def test_showing_the_document_to_staff_is_in_the_history(staff_client, operator, complaint, customer, client):
    from kabinet.appeals.models import Event
    from tests.factories import customer_login

    staff_client.get(reverse("backoffice:appeal", args=[complaint.pk]))
    shown = complaint.events.get(kind=Event.Kind.PD_READ)
    assert shown.actor == operator.user
    page = staff_client.get(reverse("backoffice:appeal", args=[complaint.pk])).content.decode()
    assert "Просмотрены данные жалобы" in page
    customer_login(client, customer)  # the customer's own page is no staff read
    client.get(reverse("portal:appeal", args=[complaint.number]))
    assert complaint.events.filter(kind=Event.Kind.PD_READ).count() == 2


def test_a_lost_key_leaves_the_page_the_pdf_and_the_answer_working(settings, staff_client, operator, complaint):
    from cryptography.fernet import Fernet

    from kabinet.appeals.complaint_text import KEY_LOST

    settings.KABINET_PD_KEYS = [Fernet.generate_key().decode()]
    page = staff_client.get(reverse("backoffice:appeal", args=[complaint.pk]))
    assert page.status_code == 200
    assert "Просмотрены данные жалобы" not in page.content.decode()  # nothing could be shown
    assert KEY_LOST in page.content.decode() and "Иванова Анна Петровна" in page.content.decode()
    response = staff_client.get(reverse("backoffice:complaint_pdf", args=[complaint.pk]))
    assert KEY_LOST in " ".join(pdf_text(b"".join(response.streaming_content)).split())
    take(operator, complaint.pk)
    staff_client.post(
        reverse("backoffice:reply", args=[complaint.pk]), {"text": "Акт проверки приложен.", "status": "answered"}
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.ANSWERED


def test_an_answer_by_letter_shows_the_letter_due_until_it_is_marked_sent(staff_client, operator, customer, account):
    appeal = make_complaint(customer, account, contact_method="post")
    take(operator, appeal.pk)
    page = staff_client.get(reverse("backoffice:appeal", args=[appeal.pk])).content.decode()
    assert "Ответ — письмом по почте" in page and "Письмо с ответом отправлено" not in page
    assert "Клиент выбрал получение ответа письмом" in page
    staff_client.post(reverse("backoffice:reply", args=[appeal.pk]), {"text": "Акт приложен.", "status": "answered"})
    page = staff_client.get(reverse("backoffice:appeal", args=[appeal.pk])).content.decode()
    assert "письмо ещё не отмечено отправленным" in page
    done = staff_client.post(reverse("backoffice:letter_sent", args=[appeal.pk]), follow=True).content.decode()
    assert "Отмечено: письмо с ответом отправлено." in done
    assert "письмо ещё не отмечено отправленным" not in done and "Ответ отправлен письмом" in done
    again = staff_client.post(reverse("backoffice:letter_sent", args=[appeal.pk]), follow=True).content.decode()
    assert "Отправлять письмом нечего: ответ ещё не дан или письмо уже отмечено отправленным." in again


def test_an_operator_of_another_region_cannot_mark_a_letter(client, customer, account, perm):
    appeal = make_complaint(customer, account, contact_method="post")
    other = make_staff("perm@example.ru", StaffRole.Role.OPERATOR, perm)
    staff_login(client, other.user)
    assert client.post(reverse("backoffice:letter_sent", args=[appeal.pk])).status_code == 404
    appeal.complaint.refresh_from_db()
    assert appeal.complaint.letter_sent_at is None
    assert not appeal.events.filter(kind=Event.Kind.LETTER_SENT).exists()


def test_the_queue_lists_the_letters_to_send(staff_client, operator, customer, account):
    """«Нужно отправить письмо»: answered complaints whose letter is not marked sent, whatever
    their state (the queue otherwise lists open appeals only)."""
    from kabinet.appeals import complaints

    due, sent, waiting = (make_complaint(customer, account, contact_method="post") for _ in range(3))
    by_sms = make_complaint(customer, account)
    for appeal in (due, sent, by_sms):
        take(operator, appeal.pk)
        staff_client.post(reverse("backoffice:reply", args=[appeal.pk]), {"text": "Акт.", "status": "answered"})
    complaints.letter_sent(operator, sent.pk)
    page = staff_client.get(reverse("backoffice:queue"), {"letters": "on"}).content.decode()
    assert "Нужно отправить письмо" in page
    assert due.number in page
    assert sent.number not in page and waiting.number not in page and by_sms.number not in page
