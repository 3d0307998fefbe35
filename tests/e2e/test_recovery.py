"""«Забыли пароль?» (G8): a code by SMS or a one-time link by e-mail, then a new password."""

import re

from playwright.sync_api import expect

from tests.e2e.helpers import log_in
from tests.factories import PASSWORD

NEW = "Novyi-parol-2026"
CONTACT = "Телефон или e-mail, указанный при регистрации"


def ask_for_recovery(page, contact: str) -> None:
    page.goto("/login/")
    page.get_by_role("link", name="Забыли пароль?").click()
    expect(page.get_by_role("heading", name="Забыли пароль?")).to_be_visible()
    page.get_by_label(CONTACT).fill(contact)
    page.get_by_role("button", name="Восстановить пароль").click()


def set_new_password(page, password: str = NEW) -> None:
    expect(page.get_by_role("heading", name="Новый пароль")).to_be_visible()
    page.get_by_label("Новый пароль").fill(password)
    page.get_by_label("Повторите пароль").fill(password)
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page).to_have_url("/login/")
    expect(page.get_by_role("status")).to_have_text("Пароль изменён. Войдите с новым паролем.")


def test_recovery_by_phone(page, customer, outbox):
    ask_for_recovery(page, "8 912 000 00 01")
    expect(page).to_have_url("/recover/code/")
    expect(page.get_by_role("heading", name="Восстановление пароля")).to_be_visible()
    expect(page.get_by_text("+7 912 ***-**-01")).to_be_visible()
    page.get_by_label("Код из SMS").fill(outbox.last_code("+79120000001"))
    page.get_by_role("button", name="Отправить", exact=True).click()
    set_new_password(page)

    log_in(page, "+79120000001", PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Неверный логин или пароль")
    log_in(page, "8 (912) 000-00-01", NEW)
    expect(page).to_have_url("/home/")
    expect(page.get_by_role("heading", name="Здравствуйте, Анна!")).to_be_visible()


def test_recovery_by_email_link(page, customer, mailbox):
    ask_for_recovery(page, "Anna@Example.ru")
    expect(page.get_by_role("heading", name="Проверьте почту")).to_be_visible()
    expect(page.get_by_text("anna@example.ru")).to_be_visible()
    [letter] = mailbox()
    assert letter.to == ["anna@example.ru"]
    link = re.search(r"https?://\S+", letter.body).group(0)

    page.goto(link)
    expect(page).to_have_url("/recover/password/")
    set_new_password(page)
    log_in(page, "anna@example.ru", NEW)
    expect(page).to_have_url("/home/")

    # The link works once.
    page.goto(link)
    expect(page.get_by_role("heading", name="Ссылка недействительна")).to_be_visible()


def test_mismatched_new_passwords_are_explained(page, customer, outbox):
    ask_for_recovery(page, "+79120000001")
    page.get_by_label("Код из SMS").fill(outbox.last_code("+79120000001"))
    page.get_by_role("button", name="Отправить", exact=True).click()
    page.get_by_label("Новый пароль").fill(NEW)
    page.get_by_label("Повторите пароль").fill(NEW + "x")
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page.get_by_label("Повторите пароль")).to_have_accessible_description("Пароли не совпадают.")
    expect(page.get_by_label("Новый пароль")).to_have_value(NEW)
