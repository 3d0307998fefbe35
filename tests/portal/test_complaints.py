"""«Подать жалобу на качество электроснабжения»: every field's rule, refusals at their field
with nothing typed or attached lost, the success page with number and time, the PDF."""

import logging

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
import pytest

from kabinet.appeals.models import Appeal, AppealKind, Upload
from tests.factories import (
    PASSPORT_NUMBER,
    PDF,
    complaint_data,
    crash_report,
    customer_login,
    make_complaint,
    pdf_text,
    redirected_to,
    unreadable_document_type,
)

NEW = reverse("portal:complaint_new")


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


def test_the_form_is_reached_from_appeals_and_prefilled(signed_in, customer, account):
    assert "Подать жалобу на качество электроснабжения" in signed_in.get(reverse("portal:appeals")).content.decode()
    page = signed_in.get(NEW).content.decode()
    for label in (
        "Фамилия, имя, отчество", "Место жительства", "Дата рождения", "Место рождения",
        "Документ, удостоверяющий личность", "Серия документа", "Номер документа", "Наименование организации",
        "Номер договора (лицевой счёт)", "Адрес помещения", "Начало нарушения", "Конец нарушения",
        "Нарушение продолжается", "Телефон", "E-mail", "Требования потребителя",
        "Предпочтительный способ получения ответа", "Вложения",
    ):  # fmt: skip
        assert f"{label}" in page, label
    assert 'value="Иванова Анна"' in page
    assert 'value="+79120000001"' in page and 'value="anna@example.ru"' in page
    assert account.premises.address in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "", "Заполните это поле."),
        ("full_name", "Иванова", "Укажите фамилию, имя и отчество"),
        ("residence", "", "Заполните это поле."),
        ("birth_date", "2999-01-01", "Дата рождения должна быть в прошлом."),
        ("birth_date", "вчера", "Укажите дату рождения"),
        ("birth_place", "", "Заполните это поле."),
        ("document_type", "driver", "Выберите документ из списка."),
        ("document_series", "651", "Серия паспорта РФ — 4 цифры"),
        ("document_number", "12345", "Номер паспорта РФ — 6 цифр."),
        ("document_number", "", "Заполните это поле."),
        ("account", "999999", "Выберите лицевой счёт из списка."),
        ("violation_start", "", "Заполните это поле."),
        ("violation_start", "2999-01-01T10:00", "Начало нарушения не может быть в будущем."),
        ("violation_end", "", "Укажите конец нарушения или отметьте «Нарушение продолжается»."),
        ("violation_end", "2026-11-19T10:00", "Конец нарушения не может быть раньше начала."),
        ("phone", "12345", "Укажите российский номер телефона"),
        ("email", "anna@", "Проверьте e-mail"),
        ("demands", "", "Заполните это поле."),
        ("contact_method", "pigeon", "Выберите способ из списка."),
    ],
)
def test_each_field_is_refused_at_itself(signed_in, account, field, value, message):
    response = signed_in.post(NEW, complaint_data(account, **{field: value}))
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert not Appeal.objects.exists()


def test_ongoing_and_an_end_together_are_refused_and_email_answers_need_an_email(signed_in, account):
    response = signed_in.post(NEW, complaint_data(account, ongoing="on"))
    assert "Либо укажите конец нарушения" in response.context["form"].errors["violation_end"][0]
    response = signed_in.post(NEW, complaint_data(account, email="", contact_method="email"))
    assert "Укажите e-mail" in response.context["form"].errors["email"][0]


def test_nothing_typed_or_attached_is_lost_on_a_refusal(signed_in, account):
    act = SimpleUploadedFile("фото.pdf", PDF, content_type="application/pdf")
    response = signed_in.post(NEW, {**complaint_data(account, phone="1"), "files": [act]})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Требую проверки и перерасчёта" in page and 'value="г. Свердловск"' in page
    assert "фото.pdf" in page and "Уже приложены" in page
    kept = Upload.objects.get()
    response = signed_in.post(NEW, {**complaint_data(account), "keep": [kept.pk], "offered": [kept.pk]})
    appeal = Appeal.objects.get()
    assert appeal.attachments.get().name == "фото.pdf"


def test_filing_shows_number_and_exact_time_and_the_pdf(signed_in, customer, account, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    response = signed_in.post(NEW, complaint_data(account, ongoing="on", violation_end=""))
    appeal = Appeal.objects.get()
    assert appeal.kind == AppealKind.COMPLAINT and appeal.complaint.is_ongoing
    page = signed_in.get(redirected_to(response)).content.decode()
    assert "Жалоба зарегистрирована" in page and appeal.number in page
    assert appeal.created_at.astimezone().strftime("%S") in page  # seconds: the exact time
    assert "Скачать жалобу (PDF)" in page
    pdf = signed_in.get(reverse("portal:complaint_pdf", args=[appeal.number]))
    assert pdf["Content-Type"] == "application/pdf" and "no-store" in pdf["Cache-Control"]
    assert PASSPORT_NUMBER in pdf_text(b"".join(pdf.streaming_content))
    detail = signed_in.get(reverse("portal:appeal", args=[appeal.number])).content.decode()
    assert PASSPORT_NUMBER in detail and "продолжается" in detail
    assert PASSPORT_NUMBER not in caplog.text
    assert PASSPORT_NUMBER not in str(outbox.messages())


def test_another_customers_complaint_is_not_found(client, customer, account):
    from tests.factories import make_account, make_customer

    appeal = make_complaint(customer, account)
    stranger = make_customer("+79120000009", make_account(account.region, "660100000009"))
    customer_login(client, stranger)
    assert client.get(reverse("portal:complaint_pdf", args=[appeal.number])).status_code == 404
    assert client.get(reverse("portal:appeal", args=[appeal.number])).status_code == 404


def test_an_email_for_the_answer_gets_its_confirmation_link_and_counts_once(settings, client, account, mailbox):
    from tests.factories import make_customer

    settings.KABINET_CONTACT_USES_PER_ADDRESS = 1
    customer = make_customer("+79120000005", account)
    customer_login(client, customer)
    data = complaint_data(account, phone="+79120000005", email="new@example.ru", contact_method="email")
    response = client.post(NEW, data)
    assert response.status_code == 302
    # The profile takes the address only once confirmed; the complaint's messages go to the
    # address typed into the complaint for them, unconfirmed: without the customer's name.
    assert [m.to for m in mailbox()] == [["new@example.ru"], ["new@example.ru"]]
    registered = next(m for m in mailbox() if "зарегистрирована" in m.subject)
    assert registered.body.startswith("Здравствуйте!\n") and customer.first_name not in registered.body
    created = client.get(redirected_to(response)).content.decode()
    assert "Подтверждение отправлено на new@" in created
    customer.refresh_from_db()
    assert not customer.email
    # The address was counted once for the complaint and its confirmation link; now it is
    # at the limit, and another complaint to it is refused at its field, nothing lost.
    again = client.post(NEW, data)
    assert again.status_code == 429
    assert "Слишком много запросов" in again.context["form"].errors["email"][0]
    assert 'value="г. Свердловск"' in again.content.decode()
    assert Appeal.objects.count() == 1 and len(mailbox()) == 2


def test_a_strangers_phone_is_refused_past_the_limit_with_nothing_lost(settings, signed_in, account, outbox):
    """A customer with a profile e-mail cannot send any number of SMS to someone else's phone
    by filing complaints with it."""
    settings.KABINET_CONTACT_USES_PER_ADDRESS = 2
    data = complaint_data(account, phone="+7 912 000-00-77")
    for _ in range(2):
        assert signed_in.post(NEW, data).status_code == 302
    refused = signed_in.post(NEW, data)
    assert refused.status_code == 429
    assert "Слишком много запросов" in refused.context["form"].errors["phone"][0]
    page = refused.content.decode()
    assert 'value="+7 912 000-00-77"' in page and "Требую проверки и перерасчёта" in page
    assert Appeal.objects.count() == 2
    assert [m["to"] for m in outbox.messages()] == ["+79120000077"] * 2


def test_an_address_of_another_account_is_not_offered_and_the_complaint_is_filed(client, account, mailbox):
    from kabinet.identity.models import EmailConfirmation
    from tests.factories import make_customer

    make_customer("+79120000006", email="taken@example.ru")
    customer = make_customer("+79120000005", account)
    customer_login(client, customer)
    data = complaint_data(account, phone="+79120000005", email="taken@example.ru", contact_method="email")
    response = client.post(NEW, data)
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.complaint.email == "taken@example.ru"
    assert not EmailConfirmation.objects.filter(user=customer).exists()
    assert [m.subject for m in mailbox()] == [f"Жалоба № {appeal.number} зарегистрирована"]


def test_every_field_has_a_label_and_a_plain_hint(signed_in, account):
    response = signed_in.get(NEW)
    page = response.content.decode()
    for name, field in response.context["form"].fields.items():
        assert field.help_text, name
        if name != "contact_method":  # radio buttons: a legend and a label each
            assert f'<label for="id_{name}"' in page, name


def test_a_crash_while_filing_reports_no_document(client, settings, customer, account, caplog):
    """A server error's report (the admins' e-mail, the debug page) shows POST data and every
    frame's variables: the document's are hidden. The crash here is real: no key is set."""
    from django.views.debug import ExceptionReporter

    settings.KABINET_PD_KEYS = []
    customer_login(client, customer)
    client.raise_request_exception = False
    response = client.post(NEW, complaint_data(account))
    assert response.status_code == 500
    record = next(r for r in caplog.records if r.name == "django.request")
    report = ExceptionReporter(record.request, *record.exc_info).get_traceback_text()
    assert "ImproperlyConfigured" in report and "document_number" in report
    assert PASSPORT_NUMBER not in report and "Свердловск" not in report


def test_a_crash_on_the_complaints_page_or_pdf_reports_no_document(client, customer, account, caplog):
    appeal = make_complaint(customer, account)
    unreadable_document_type(appeal)
    customer_login(client, customer)
    for url in (
        reverse("portal:appeal", args=[appeal.number]),
        reverse("portal:complaint_pdf", args=[appeal.number]),
    ):
        report = crash_report(client, url, caplog)
        assert "withdrawn" in report and "identity" in report, url
        assert PASSPORT_NUMBER not in report and "Свердловск" not in report, url


def test_a_lost_key_shows_the_complaint_with_a_notice(settings, client, customer, account):
    from cryptography.fernet import Fernet

    from kabinet.appeals.complaint_text import KEY_LOST_CUSTOMER

    appeal = make_complaint(customer, account)
    settings.KABINET_PD_KEYS = [Fernet.generate_key().decode()]
    customer_login(client, customer)
    page = client.get(reverse("portal:appeal", args=[appeal.number]))
    assert page.status_code == 200
    assert KEY_LOST_CUSTOMER in page.content.decode() and appeal.text in page.content.decode()
    assert "администратор" not in page.content.decode()  # staff's advice, not the customer's
    response = client.get(reverse("portal:complaint_pdf", args=[appeal.number]))
    assert KEY_LOST_CUSTOMER in " ".join(pdf_text(b"".join(response.streaming_content)).split())


def test_an_answer_by_letter_is_chosen_on_the_form_and_the_number_goes_by_sms(signed_in, account, outbox):
    page = signed_in.get(NEW).content.decode()
    assert "Письмом по почте на место жительства" in page
    assert "о регистрации жалобы и ходе её рассмотрения сообщим по SMS на указанный телефон" in page
    response = signed_in.post(NEW, complaint_data(account, contact_method="post", phone="+7 912 000-00-77", email=""))
    appeal = Appeal.objects.get()
    created = signed_in.get(redirected_to(response)).content.decode()
    assert "письмом по почте" in created and "Подтверждение отправлено по SMS на" in created
    assert "+7\u00a0912\u00a0000-00-77" in created  # as the back office writes it
    assert appeal.complaint.answer_by_letter
    assert [m["to"] for m in outbox.messages()] == ["+79120000077"]
    detail = signed_in.get(reverse("portal:appeal", args=[appeal.number])).content.decode()
    assert "Письмом по почте" in detail


def test_the_customer_sees_the_complaint_forwarded_and_what_the_deadline_means(signed_in, customer, account):
    from django.utils import timezone

    from kabinet.appeals import complaints
    from kabinet.appeals.models import StaffRole
    from kabinet.appeals.operators import take
    from tests.factories import make_staff

    appeal = make_complaint(customer, account)
    operator = make_staff("operator@example.ru", StaffRole.Role.OPERATOR, account.region)
    take(operator, appeal.pk)
    complaints.forward(operator, appeal.pk, complaints.Forwarding(timezone.localdate(), "АО «ЕЭСК»", "СО-17/2"))
    page = signed_in.get(reverse("portal:appeal", args=[appeal.number])).content.decode()
    assert "Жалоба передана в сетевую организацию" in page
    assert "АО «ЕЭСК»" in page and "СО-17/2" in page
    assert "номер в сетевой организации — СО-17/2" in page
    assert "Мы ответим вам с результатами проверки до" in page
