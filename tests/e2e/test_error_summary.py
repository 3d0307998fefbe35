"""After a refused submit (issue 11, point 15): an error summary at the top of the form takes
focus, lists every error as a link to its field, and the page title starts with «Ошибка: »;
the messages beside the fields stay. GOV.UK design system's error summary pattern."""

import re

from playwright.sync_api import expect

from tests.e2e.helpers import log_in, wait_ready
from tests.factories import make_account, make_customer, make_meter

SUMMARY = "Есть ошибки"


def summary(page):
    return page.get_by_role("heading", name=SUMMARY).locator("xpath=..")


def assert_summary_has_focus(page, errors: list[str]) -> None:
    box = summary(page)
    expect(box).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Ошибка: "))
    expect(box.get_by_role("link")).to_have_text(errors)
    # One title and the list, as GOV.UK's: no second line saying the title again.
    expect(box).to_have_text(re.compile(r"^\s*" + r"\s*".join(map(re.escape, [SUMMARY, *errors])) + r"\s*$"))


def follow(page, error: str, field) -> None:
    wait_ready(page)  # the summary's script is bound
    summary(page).get_by_role("link", name=error).click()
    expect(field).to_be_focused()


def test_registration(page, account):
    page.goto("/register/")
    page.get_by_label("Номер лицевого счета").fill("660100000001")
    page.get_by_label("Телефон").fill("12")
    page.get_by_role("button", name="Отправить").click()

    box = summary(page)
    expect(box).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Ошибка: Регистрация"))
    links = box.get_by_role("link")
    expect(links.first).to_be_visible()
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert "#id_house" in hrefs and "#id_phone" in hrefs and "#id_consent" in hrefs, hrefs
    phone_error = page.locator("#id_phone_error").inner_text()  # the message beside the field stays
    expect(page.get_by_label("Телефон")).to_have_accessible_description(re.compile(re.escape(phone_error)))
    follow(page, f"Телефон: {phone_error}", page.get_by_label("Телефон"))
    expect(page.get_by_label("Номер лицевого счета")).to_have_value("660100000001")


def test_appeal(page, customer, reason):
    log_in(page, "+79120000001")
    expect(page).to_have_url("/home/")
    page.goto("/appeals/new/")
    page.get_by_role("button", name="Отправить").click()

    box = summary(page)
    expect(box).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Ошибка: Создать обращение"))
    expect(box.get_by_role("link", name="Тема обращения: Обязательное поле.")).to_have_attribute("href", "#id_topic")
    expect(box.get_by_role("link", name="Текст обращения: Обязательное поле.")).to_have_attribute("href", "#id_text")
    follow(page, "Текст обращения: Обязательное поле.", page.get_by_label("Текст обращения"))


def test_readings(page, sverdlovsk):
    sverdlovsk.readings_from_day, sverdlovsk.readings_to_day = 1, 31
    sverdlovsk.save()
    account = make_account(sverdlovsk, "660100012345")
    make_customer("+79120000031", account)
    make_meter(account, zones=2, serial="76543210")
    log_in(page, "+79120000031")
    expect(page.get_by_role("heading", name="Здравствуйте, Анна!")).to_be_visible()
    page.goto(f"/accounts/{account.pk}/readings/")
    page.get_by_label("День (Т1)", exact=True).fill("5230")
    page.get_by_label("Ночь (Т2)", exact=True).fill("21,5")
    page.get_by_role("button", name="Передать показания").click()

    night = page.get_by_label("Ночь (Т2)", exact=True)
    error = "Введите целое число — только цифры до запятой, без дробной части."
    assert_summary_has_focus(page, [f"Ночь (Т2): {error}"])
    expect(night).to_have_accessible_description(re.compile(re.escape(error)))  # still beside the field
    follow(page, f"Ночь (Т2): {error}", night)
    expect(night).to_have_value("21,5")


def test_a_form_error_without_a_field_is_in_the_summary(page, customer):
    page.goto("/login/")
    page.get_by_label("Номер лицевого счета, телефон или e-mail").fill("+79120000001")
    page.get_by_label("Пароль").fill("wrong-password")
    page.get_by_role("button", name="Войти").click()
    box = summary(page)
    expect(box).to_be_focused()
    expect(box.get_by_role("alert")).to_contain_text("Неверный логин или пароль")
    expect(page).to_have_title(re.compile(r"^Ошибка: Вход"))
