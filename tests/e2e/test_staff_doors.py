"""Employees sign in at their own door, and one person's lock holds whichever identifier is
typed (issue 11, points 3 and 8)."""

import re

from playwright.sync_api import expect
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.identity.models import User
from tests.e2e.helpers import enter_second_factor, goto, log_in, staff_log_in, wait_ready
from tests.factories import PASSWORD, make_account, recovery_code

INVALID = "Неверный логин или пароль. Проверьте номер лицевого счета, телефон или e-mail, пароль и регион."


@pytest.fixture
def operator(sverdlovsk) -> User:
    user = User.objects.create_user(None, PASSWORD, email="operator@example.ru", first_name="Ирина")
    StaffRole.objects.create(user=user, role=StaffRole.Role.OPERATOR).regions.add(sverdlovsk)
    return user


def test_an_operator_is_refused_at_the_customer_login_and_enters_at_the_back_office(page, operator):
    log_in(page, "operator@example.ru")
    expect(page).to_have_url("/login/")
    expect(page.get_by_role("alert")).to_have_text(INVALID)
    page.goto("/backoffice/")
    expect(page).to_have_url(re.compile(r"/backoffice/login/"))
    wait_ready(page)
    page.get_by_label("E-mail или телефон").fill("operator@example.ru")
    page.get_by_label("Пароль").fill(PASSWORD)
    code = recovery_code(operator)
    with page.expect_navigation():
        page.get_by_role("button", name="Войти").click()
    enter_second_factor(page, code)
    expect(page.get_by_role("heading", name="Очередь обращений")).to_be_visible()


def test_guesses_spread_over_a_persons_identifiers_lock_them_all(page, customer, sverdlovsk):
    customer.account_links.create(account=make_account(sverdlovsk, "660100000009"))
    identifiers = ["+79120000001", "anna@example.ru", "660100000001", "660100000009"]
    for i in range(9):
        log_in(page, identifiers[i % 4], "not-the-password")
        expect(page.get_by_role("alert")).to_have_text(INVALID)
    log_in(page, "660100000009", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Слишком много неудачных попыток. Повторите после")
    log_in(page, "anna@example.ru")  # the right password, another identifier
    expect(page.get_by_role("alert")).to_contain_text("Слишком много неудачных попыток. Повторите после")
    goto(page, "/home/")
    expect(page).to_have_url("/login/?next=/home/")


def test_an_operator_in_the_back_office_is_not_let_into_the_customer_pages(page, operator):
    staff_log_in(page, "operator@example.ru")
    expect(page.get_by_role("heading", name="Очередь обращений")).to_be_visible()
    page.goto("/home/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/home/"))
    expect(page.get_by_text("Вы вошли как сотрудник")).to_be_visible()
    expect(page.get_by_role("navigation", name="Разделы кабинета")).to_have_count(0)


def test_an_employee_on_the_customer_login_is_offered_to_log_out(page, operator, customer):
    staff_log_in(page, "operator@example.ru")
    goto(page, "/home/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/home/"))
    notice = page.get_by_text(
        "Вы вошли как сотрудник. Личный кабинет открыт только клиентам: выйдите и войдите как клиент."
    )
    expect(notice).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Выйти").click()
    expect(page).to_have_url("/login/")
    expect(notice).to_have_count(0)
    log_in(page, "+79120000001")
    expect(page).to_have_url("/home/")
