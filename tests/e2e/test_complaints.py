"""Quality complaints (issue 16): a customer files one and downloads its PDF; an operator of
the region forwards it to the network company (the customer's page says so) and answers with
the inspection act."""

from pathlib import Path
import re

from playwright.sync_api import expect
import pytest

from kabinet.appeals.models import Appeal, StaffRole, Status
from kabinet.identity.models import User
from tests.e2e.helpers import goto, log_in, staff_log_in
from tests.factories import PASSPORT_NUMBER, PASSPORT_SERIES, PASSWORD, PDF, make_complaint, pdf_text

NUMBER = re.compile(r"66-\d{4}-\d{6}")


@pytest.fixture
def operator(sverdlovsk) -> User:
    user = User.objects.create_user(None, PASSWORD, email="operator@example.ru", first_name="Ирина")
    StaffRole.objects.create(user=user, role="operator").regions.add(sverdlovsk)
    return user


def test_customer_files_a_complaint_and_downloads_its_pdf(page, customer, account, outbox):
    log_in(page, "+79120000001")
    expect(page).to_have_url("/home/")
    page.get_by_role("navigation", name="Разделы кабинета").get_by_role("link", name="Обращения").click()
    page.get_by_role("link", name="Подать жалобу на качество электроснабжения").click()
    # The tabs (and all else) fit the phone: a wider page would be zoomed out to fit.
    page.wait_for_load_state("load")  # the stylesheet, not only the DOM
    assert page.evaluate("window.innerWidth") == page.viewport_size["width"]
    expect(page.get_by_text("#}")).to_have_count(0)
    expect(page.get_by_label("Фамилия, имя, отчество")).to_have_value("Иванова Анна")
    expect(page.get_by_label("Адрес помещения")).to_have_value(account.premises.address)
    page.get_by_label("Фамилия, имя, отчество").fill("Иванова Анна Петровна")
    page.get_by_label("Дата рождения").fill("1980-03-21")
    page.get_by_label("Место рождения").fill("г. Свердловск")
    page.get_by_label("Серия документа").fill(PASSPORT_SERIES)
    page.get_by_label("Номер документа").fill("12")  # refused at its field, the rest kept
    page.get_by_label("Начало нарушения").fill("2026-11-20T08:15")
    page.get_by_label("Нарушение продолжается").check()
    page.get_by_label("Требования потребителя").fill("Свет мигает каждый вечер. Требую проверки.")
    page.get_by_label("Вложения").set_input_files({"name": "фото.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Подать жалобу").click()
    expect(page.get_by_label("Номер документа")).to_have_accessible_description(re.compile("6 цифр"))
    expect(page.get_by_label("Требования потребителя")).to_have_value("Свет мигает каждый вечер. Требую проверки.")
    expect(page.get_by_label("фото.pdf (")).to_be_checked()
    page.get_by_label("Номер документа").fill(PASSPORT_NUMBER)
    page.get_by_role("button", name="Подать жалобу").click()

    expect(page.get_by_role("heading", name="Жалоба зарегистрирована")).to_be_visible()
    number = page.locator(".appeal-number").inner_text()
    assert NUMBER.fullmatch(number)
    appeal = Appeal.objects.get(number=number)
    assert appeal.attachments.get().name == "фото.pdf"
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать жалобу (PDF)").click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert number in text and PASSPORT_NUMBER in text and "продолжается" in text
    from django.core import mail

    # The profile has an e-mail, so the form preselected it: the confirmation went by e-mail.
    texts = [m["text"] for m in outbox.messages()] + [m.subject + m.body for m in mail.outbox]
    assert any(number in t for t in texts) and not any(PASSPORT_NUMBER in t for t in texts)


def test_operator_forwards_a_complaint_and_answers_with_the_act(desktop_page, page, customer, account, operator):
    appeal = make_complaint(customer, account)
    office = desktop_page
    staff_log_in(office, "operator@example.ru")
    office.get_by_label("Жалобы на качество").check()
    office.get_by_role("button", name="Показать").click()
    office.get_by_role("link", name=appeal.number).click()
    expect(office.get_by_role("heading", name="Жалоба на качество электроснабжения")).to_be_visible()
    expect(office.get_by_text(f"{PASSPORT_SERIES} {PASSPORT_NUMBER}")).to_be_visible()
    with office.expect_download() as download:
        office.get_by_role("link", name="Скачать жалобу (PDF)").click()
    assert appeal.number in pdf_text(Path(download.value.path()).read_bytes())

    office.get_by_role("button", name="Взять в работу").click()
    expect(office.get_by_role("status")).to_have_text("Обращение взято в работу.")
    office.get_by_label("Сетевая организация").fill("АО «ЕЭСК»")
    office.get_by_label("Номер в сетевой организации").fill("СО-17/2")
    office.get_by_role("button", name="Передано в сетевую организацию").click()
    expect(office.get_by_text("Укажите дату передачи.", exact=True)).to_be_visible()
    expect(office.get_by_label("Номер в сетевой организации")).to_have_value("СО-17/2")
    office.get_by_label("Дата передачи").fill("2026-11-21")
    office.get_by_role("button", name="Передано в сетевую организацию").click()
    expect(office.get_by_role("status")).to_have_text("Жалоба отмечена как переданная в сетевую организацию.")
    log_in(page, "+79120000001")
    goto(page, f"/appeals/{appeal.number}/")
    forwarded = page.get_by_role("note").filter(has_text="Жалоба передана в сетевую организацию")
    expect(forwarded).to_contain_text("АО «ЕЭСК»")
    expect(forwarded).to_contain_text("Мы ответим вам с результатами проверки до")

    office.get_by_label("Ответ клиенту").fill("Проверка проведена, напряжение восстановлено. Акт приложен.")
    office.get_by_label("Файлы к ответу").set_input_files(
        {"name": "акт проверки.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    office.get_by_role("radio", name="Дать ответ (обращение решено)").check()
    office.get_by_role("button", name="Отправить ответ").click()
    expect(office.get_by_role("status")).to_have_text("Ответ отправлен клиенту.")
    appeal.refresh_from_db()
    assert appeal.status == Status.ANSWERED
    assert appeal.complaint.network_reference == "СО-17/2"
    assert appeal.attachments.filter(name="акт проверки.pdf").exists()
