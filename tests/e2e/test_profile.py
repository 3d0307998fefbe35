"""The profile (G12): reached from the name in the header; an e-mail added and confirmed by link."""

import re

from playwright.sync_api import expect

from kabinet.identity import email_confirmation
from kabinet.identity.models import AccountLink
from tests.e2e.helpers import PHONE, assert_fits_the_screen, goto, link_path, log_in, open_page, wait_ready
from tests.factories import PASSWORD, make_account, make_customer


def open_profile(page) -> None:
    """The header's menu with the customer's name leads to the profile."""
    account_menu = page.get_by_role("navigation", name="Учётная запись")
    account_menu.get_by_text("Анна Иванова").click()
    account_menu.get_by_role("link", name="Профиль").click()


def test_add_email_confirmed_by_the_link(page, account, mailbox):
    make_customer("+79120000001", account)
    log_in(page, "+79120000001")
    expect(page).to_have_url("/home/")

    open_profile(page)
    expect(page.get_by_role("heading", name="Профиль", exact=True)).to_be_visible()
    expect(page.get_by_text("E-mail не указан")).to_be_visible()

    page.get_by_role("textbox", name="E-mail").fill("Anna.New@Example.ru")
    page.get_by_role("button", name="Добавить e-mail").click()
    expect(page.get_by_role("status")).to_contain_text("отправлено письмо со ссылкой")
    # Nothing is saved until the link is opened; the address waits, with a way to send it again.
    expect(page.get_by_text("E-mail не указан")).to_be_visible()
    expect(page.get_by_text("Ожидает подтверждения: anna.new@example.ru")).to_be_visible()
    expect(page.get_by_role("button", name="Отправить ссылку ещё раз")).to_be_visible()

    [letter] = mailbox()
    assert letter.to == ["anna.new@example.ru"]
    page.goto(re.search(r"https?://\S+", letter.body).group(0))
    expect(page).to_have_url("/profile/")
    expect(page.get_by_role("status")).to_have_text("E-mail подтверждён и сохранён в профиле.")
    expect(page.get_by_text("Текущий e-mail: anna.new@example.ru")).to_be_visible()
    expect(page.get_by_role("button", name="Изменить e-mail")).to_be_visible()

    # The new e-mail now logs in.
    page.get_by_text("Анна Иванова").click()
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url("/login/")
    log_in(page, "anna.new@example.ru")
    expect(page).to_have_url("/home/")


def test_another_customers_link_offers_to_log_out_and_opens_as_its_customer(page, customer, sverdlovsk, mailbox):
    boris = make_customer("+79120000002", make_account(sverdlovsk, "660100000002"), first_name="Борис")
    email_confirmation.send_link(boris, "boris@example.ru", "127.0.0.1")
    [letter] = mailbox()
    log_in(page, "+79120000001")
    goto(page, link_path(letter.body))
    expect(page.get_by_role("heading", name="Ссылка для подтверждения e-mail не подошла")).to_be_visible()
    expect(page.get_by_text("Эта ссылка отправлена для другой учётной записи. Выйдите и войдите в неё")).to_be_visible()
    expect(page.get_by_role("link", name="Вернуться в профиль")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/login/\?next=/profile/email/confirm/"))
    wait_ready(page)
    page.get_by_label("Номер лицевого счета, телефон или e-mail").fill("+79120000002")
    page.get_by_label("Пароль").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url("/profile/")
    expect(page.get_by_role("status")).to_have_text("E-mail подтверждён и сохранён в профиле.")
    expect(page.get_by_text("Текущий e-mail: boris@example.ru")).to_be_visible()


def test_email_of_another_customer_is_refused_at_the_field(page, customer, sverdlovsk, mailbox):
    make_customer("+79120000002", email="boris@example.ru", first_name="Борис", last_name="Смирнов")
    log_in(page, "+79120000001")
    open_profile(page)
    page.get_by_role("textbox", name="E-mail").fill("BORIS@example.ru")
    page.get_by_role("button", name="Изменить e-mail").click()
    expect(page.get_by_role("textbox", name="E-mail")).to_have_accessible_description(
        re.compile("Повторная регистрация на этот e-mail невозможна")
    )
    expect(page.get_by_role("textbox", name="E-mail")).to_have_value("BORIS@example.ru")
    expect(page.get_by_text("Текущий e-mail: anna@example.ru")).to_be_visible()
    assert mailbox() == []


def test_removing_an_account_asks_first_and_says_what_goes(page, account, sverdlovsk):
    """At phone width: «Удалить» opens a confirmation; «Отмена» keeps the account, the button removes it."""
    customer = make_customer("+79120000001", account)
    AccountLink.objects.create(user=customer, account=make_account(sverdlovsk, "660100000002", house="2"))
    log_in(page, "+79120000001")
    open_profile(page)
    wait_ready(page)
    accounts = page.get_by_role("region", name="Лицевые счета")

    accounts.get_by_role("link", name="Удалить лицевой счёт 660100000002").click()
    expect(page.get_by_role("heading", name="Удалить лицевой счёт 660100000002?")).to_be_visible()
    expect(page.get_by_text("показания, квитанции и начисления по нему пропадут")).to_be_visible()
    expect(page.get_by_text("Обращения, которые вы уже отправили по этому счёту, останутся")).to_be_visible()
    expect(page.get_by_text("с номером лицевого счёта и номером дома")).to_be_visible()
    assert_fits_the_screen(page)
    page.get_by_role("link", name="Отмена").click()
    expect(page).to_have_url("/profile/")
    expect(accounts.get_by_role("rowheader", name="660100000002", exact=True)).to_be_visible()

    accounts.get_by_role("link", name="Удалить лицевой счёт 660100000002").click()
    page.get_by_role("button", name="Удалить лицевой счёт").click()
    expect(page).to_have_url("/profile/")
    expect(page.get_by_role("status")).to_have_text("Лицевой счёт удалён из профиля.")
    expect(accounts.get_by_role("rowheader", name="660100000002", exact=True)).to_have_count(0)
    expect(accounts.get_by_role("rowheader", name="660100000001", exact=True)).to_be_visible()
    assert list(customer.account_links.values_list("account__number", flat=True)) == ["660100000001"]


def test_removing_an_account_works_without_javascript(browser, live_server, account, sverdlovsk):
    customer = make_customer("+79120000001", account)
    AccountLink.objects.create(user=customer, account=make_account(sverdlovsk, "660100000002", house="2"))
    context, page = open_page(browser, live_server, PHONE, java_script_enabled=False)
    try:
        page.goto("/login/")
        page.get_by_label("Номер лицевого счета, телефон или e-mail").fill("+79120000001")
        page.get_by_label("Пароль").fill(PASSWORD)
        page.get_by_role("button", name="Войти").click()
        expect(page).to_have_url("/home/")
        page.goto("/profile/")
        page.get_by_role("link", name="Удалить лицевой счёт 660100000002").click()
        page.get_by_role("button", name="Удалить лицевой счёт").click()
        expect(page.get_by_role("status")).to_have_text("Лицевой счёт удалён из профиля.")
        assert page.watch.report() == []
    finally:
        context.close()
    assert list(customer.account_links.values_list("account__number", flat=True)) == ["660100000001"]


def test_a_link_opened_without_the_session_asks_to_log_in_first(page, account, mailbox):
    """Issue 11, point 1: a confirmation link works only for the customer it was sent to."""
    make_customer("+79120000001", account, email="anna@example.ru")
    log_in(page, "+79120000001")
    open_profile(page)
    page.get_by_role("textbox", name="E-mail").fill("anna.new@example.ru")
    page.get_by_role("button", name="Изменить e-mail").click()
    expect(page.get_by_role("status")).to_contain_text("отправлено письмо со ссылкой")
    page.get_by_text("Анна Иванова").click()
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url("/login/")

    [letter] = mailbox()
    goto(page, re.search(r"https?://\S+", letter.body).group(0))
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("Номер лицевого счета, телефон или e-mail").fill("+79120000001")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url("/profile/")
    expect(page.get_by_role("status")).to_have_text("E-mail подтверждён и сохранён в профиле.")
    expect(page.get_by_text("Текущий e-mail: anna.new@example.ru")).to_be_visible()
