"""Appeals (issue 4): a customer creates one with a document, a rejected file keeps the rest of
the form, an operator answers in the back office, and a customer's login stays out of it."""

from pathlib import Path
import re

from playwright.sync_api import expect
import pytest

from kabinet.appeals.models import Appeal, StaffRole, Status
from kabinet.identity.models import User
from tests.e2e.helpers import log_in, staff_log_in, wait_ready
from tests.factories import PASSWORD, PDF, make_appeal

NUMBER = re.compile(r"66-\d{4}-\d{6}")
MONTHS = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]


@pytest.fixture
def operator(sverdlovsk) -> User:
    user = User.objects.create_user(
        None, PASSWORD, email="operator@example.ru", first_name="Ирина", last_name="Оператор"
    )
    StaffRole.objects.create(user=user, role="operator").regions.add(sverdlovsk)
    return user


def pdf(name: str = "справка.pdf") -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def long_date(day) -> str:
    """A date as the portal writes it: «5 марта 2026»."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def open_new_appeal(page) -> None:
    page.get_by_role("navigation", name="Разделы кабинета").get_by_role("link", name="Обращения").click()
    page.get_by_role("navigation", name="Обращения").get_by_role("link", name="Создать обращение").click()
    expect(page.get_by_label("Тема обращения")).to_be_visible()
    wait_ready(page)  # the reason list and the counter are bound by the script


def choose_reason(page) -> None:
    page.get_by_label("Тема обращения").select_option(label="Лицевой счёт")
    page.get_by_label("Причина обращения").select_option(label="Перерасчёт")


def test_customer_creates_an_appeal_with_a_document(page, customer, reason, outbox):
    log_in(page, "+79120000001")
    expect(page).to_have_url("/home/")
    open_new_appeal(page)
    expect(page.get_by_label("Лицевой счёт")).to_contain_text("660100000001")

    hint = page.get_by_text("Какие документы приложить")
    expect(hint).to_be_hidden()
    choose_reason(page)
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Справка о временном отсутствии.")

    counter = page.get_by_text(re.compile("Осталось символов"))
    before = counter.inner_text()
    text = "Прошу сделать перерасчёт: в марте я был в командировке."
    page.get_by_label("Текст обращения").fill(text)
    expect(counter).not_to_have_text(before)
    limit = int(re.search(r"из (\d+)", before).group(1))
    expect(counter).to_have_text(f"Осталось символов: {limit - len(text)} из {limit}")

    page.get_by_label("Подтверждающие документы").set_input_files(pdf())
    page.get_by_role("radio", name="Телефон").check()
    page.get_by_role("button", name="Отправить").click()

    expect(page.get_by_role("heading", name="Обращение зарегистрировано")).to_be_visible()
    appeal = Appeal.objects.get()
    assert NUMBER.fullmatch(appeal.number)
    expect(page.locator(".appeal-number")).to_have_text(appeal.number)
    expect(page.get_by_text(f"до {long_date(appeal.deadline)}")).to_be_visible()

    page.get_by_role("link", name="Мои обращения").click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=appeal.number))
    expect(row).to_contain_text("Новое")
    expect(row).to_contain_text("Лицевой счёт → Перерасчёт")

    [sms] = outbox.messages()
    assert sms["to"] == "+79120000001"
    assert "зарегистрировано" in sms["text"] and appeal.number in sms["text"]


def test_a_rejected_file_keeps_the_rest_of_the_form(page, customer, reason):
    log_in(page, "+79120000001")
    open_new_appeal(page)
    choose_reason(page)
    text = "Прошу сделать перерасчёт за март."
    page.get_by_label("Текст обращения").fill(text)
    fake = {"name": "скан.pdf", "mimeType": "application/pdf", "buffer": "это не PDF, а текст".encode()}
    page.get_by_label("Подтверждающие документы").set_input_files([pdf(), fake])
    page.get_by_role("button", name="Отправить").click()

    rejected = "Файл «скан.pdf» не подходит: можно прикладывать только PDF, JPEG или PNG."
    files = page.get_by_label("Подтверждающие документы")
    expect(page.get_by_role("alert")).to_have_text(rejected)
    expect(files).to_have_accessible_description(re.compile(re.escape(rejected)))
    expect(page.get_by_label("Тема обращения").locator("option:checked")).to_have_text("Лицевой счёт")
    expect(page.get_by_label("Причина обращения").locator("option:checked")).to_have_text("Перерасчёт")
    expect(page.get_by_label("Текст обращения")).to_have_value(text)
    kept = page.get_by_role("group", name="Уже приложены")
    expect(kept.get_by_role("checkbox")).to_have_count(1)
    expect(kept.get_by_role("checkbox", name=re.compile("справка.pdf"))).to_be_checked()

    page.get_by_role("button", name="Отправить").click()
    expect(page.get_by_role("heading", name="Обращение зарегистрировано")).to_be_visible()
    page.get_by_role("link", name="Открыть обращение").click()
    appeal = Appeal.objects.get()
    expect(page.get_by_role("heading", name=f"Обращение № {appeal.number}")).to_be_visible()
    expect(page.get_by_role("link", name="справка.pdf")).to_be_visible()
    expect(page.get_by_role("link", name="скан.pdf")).to_have_count(0)
    assert [a.name for a in appeal.attachments.all()] == ["справка.pdf"]


def test_operator_answers_and_the_customer_reads_the_answer(
    desktop_page, page, customer, account, reason, operator, outbox
):
    appeal = make_appeal(customer, account, reason)
    office = desktop_page
    staff_log_in(office, "operator@example.ru")
    expect(office.get_by_role("heading", name="Очередь обращений")).to_be_visible()
    office.get_by_role("link", name=appeal.number).click()
    expect(office.get_by_role("heading", name=f"Обращение № {appeal.number}")).to_be_visible()
    expect(office.get_by_text("Прошу сделать перерасчёт.")).to_be_visible()

    with office.expect_download() as download:
        office.get_by_role("link", name="справка.pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Path(download.value.path()).read_bytes() == PDF

    office.get_by_role("button", name="Взять в работу").click()
    expect(office.get_by_role("status")).to_have_text("Обращение взято в работу.")
    expect(office.get_by_role("button", name="Взять в работу")).to_have_count(0)
    # The reply's and the note's fields are told apart by their labels.
    expect(office.get_by_role("textbox", name="Внутренняя заметка")).to_have_accessible_description(
        "Клиент её не увидит."
    )
    expect(office.get_by_label("Файлы к заметке")).to_have_count(1)
    answer = "Перерасчёт сделан, он будет в квитанции за следующий месяц."
    office.get_by_label("Ответ клиенту").fill(answer)
    office.get_by_label("Файлы к ответу").set_input_files(pdf("расчёт.pdf"))
    office.get_by_role("radio", name="Дать ответ (обращение решено)").check()
    office.get_by_role("button", name="Отправить ответ").click()
    expect(office.get_by_role("status")).to_have_text("Ответ отправлен клиенту.")

    log_in(page, "+79120000001")
    expect(page).to_have_url("/home/")
    page.get_by_role("navigation", name="Разделы кабинета").get_by_role("link", name="Обращения").click()
    page.get_by_role("navigation", name="Обращения").get_by_role("link", name="Мои обращения").click()
    page.get_by_role("link", name=appeal.number).click()
    expect(page.get_by_role("heading", name=f"Обращение № {appeal.number}")).to_be_visible()
    expect(page.get_by_text("Дан ответ", exact=True)).to_be_visible()
    conversation = page.get_by_role("region", name="Переписка")
    expect(conversation).to_contain_text("Ответ компании")
    expect(conversation).to_contain_text(answer)
    expect(conversation.get_by_role("link", name="расчёт.pdf")).to_be_visible()

    texts = [m["text"] for m in outbox.messages() if m["to"] == "+79120000001"]
    assert any("дан ответ" in text and appeal.number in text for text in texts), texts


@pytest.mark.parametrize("identifier", ["+79120000001", "anna@example.ru"], ids=["phone", "email"])
def test_a_customer_login_cannot_enter_the_back_office(page, customer, operator, identifier):
    log_in(page, "+79120000001")
    expect(page).to_have_url("/home/")
    page.goto("/backoffice/")
    expect(page).to_have_url(re.compile(r"/backoffice/login/"))
    expect(page.get_by_role("heading", name="Вход для сотрудников")).to_be_visible()
    expect(page.get_by_text("Вы вошли как клиент")).to_be_visible()

    staff_log_in(page, identifier)
    expect(page.get_by_role("alert")).to_have_text(
        "Неверный e-mail, телефон или пароль. Бэк-офис открыт только сотрудникам."
    )
    expect(page.get_by_role("heading", name="Очередь обращений")).to_have_count(0)
    page.goto("/backoffice/")
    expect(page).to_have_url(re.compile(r"/backoffice/login/"))


def test_six_files_are_refused_before_any_is_stored(page, customer, reason, settings):
    log_in(page, "+79120000001")
    open_new_appeal(page)
    choose_reason(page)
    text = "Прошу сделать перерасчёт: документы во вложении."
    page.get_by_label("Текст обращения").fill(text)
    page.get_by_label("Подтверждающие документы").set_input_files([pdf(f"скан {i}.pdf") for i in range(1, 7)])
    page.get_by_role("radio", name="Телефон").check()
    page.get_by_role("button", name="Отправить").click()

    refused = "Можно приложить не больше 5 файлов, а выбрано 6. Новые файлы не сохранены: выберите не больше 5."
    expect(page.get_by_label("Подтверждающие документы")).to_have_accessible_description(re.compile(re.escape(refused)))
    expect(page.get_by_label("Текст обращения")).to_have_value(text)
    attachments = Path(settings.STORAGES["attachments"]["OPTIONS"]["location"])
    assert not attachments.exists() or not [p for p in attachments.rglob("*") if p.is_file()]
    assert not Appeal.objects.exists()


def test_closing_an_unanswered_appeal_asks_to_confirm(desktop_page, customer, account, reason, operator):
    appeal = make_appeal(customer, account, reason)
    office = desktop_page
    staff_log_in(office, "operator@example.ru")
    office.get_by_role("link", name=appeal.number).click()
    expect(office.locator("dt:text-is('Телефон') + dd")).to_have_text("+7 912 000-00-01")  # as people write it
    office.get_by_role("button", name="Взять в работу").click()
    expect(office.get_by_role("status")).to_have_text("Обращение взято в работу.")

    state = office.get_by_label("Новое состояние")
    expect(state.locator("option:checked")).to_have_text("Выберите состояние")  # nothing preselected
    state.select_option(label="Закрыто")
    office.get_by_role("button", name="Изменить состояние").click()

    confirm = office.get_by_role("checkbox", name="Закрыть без ответа")
    message = "Клиент ещё не получил ответа: отметьте, чтобы всё равно закрыть обращение."
    expect(confirm).to_have_accessible_description(message)
    expect(office.get_by_role("link", name=message, exact=True)).to_be_visible()  # the box's label not before it
    expect(office.get_by_label("Новое состояние").locator("option:checked")).to_have_text("Закрыто")
    assert Appeal.objects.get().status == Status.IN_PROGRESS

    confirm.check()
    office.get_by_role("button", name="Изменить состояние").click()
    expect(office.get_by_role("status")).to_have_text("Состояние изменено.")
    expect(office.get_by_role("heading", name=f"Обращение № {appeal.number}")).to_contain_text("Закрыто")
    assert Appeal.objects.get().status == Status.CLOSED
