"""Login by account number, phone and e-mail (G3); the invalid-credentials message; G9 and G10; logout."""

from playwright.sync_api import expect
import pytest

from tests.e2e.helpers import log_in
from tests.factories import PASSWORD, make_account, make_customer

IDENTIFIER = "Номер лицевого счета, телефон или e-mail"
INVALID = "Неверный логин или пароль. Проверьте номер лицевого счета, телефон или e-mail, пароль и регион."
NOT_SERVED = "Абонент не обслуживается/Учетная запись заблокирована"


def test_login_page_by_account_number(any_page, customer):
    page = any_page
    page.goto("/")
    page.get_by_role("banner").get_by_role("link", name="Личный кабинет", exact=True).click()
    expect(page.get_by_role("heading", name="Вход в личный кабинет")).to_be_visible()
    expect(page.get_by_label(IDENTIFIER)).to_be_focused()
    expect(page.get_by_label("Регион")).to_have_value(str(customer.account_links.get().account.region_id))
    page.get_by_label(IDENTIFIER).fill("660100000001")
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    expect(page).to_have_url("/home/")
    expect(page.get_by_role("heading", name="Здравствуйте, Анна!")).to_be_visible()
    expect(page.get_by_text("Лицевой счёт 660100000001")).to_be_visible()


@pytest.mark.parametrize("identifier", ["8 (912) 000-00-01", "Anna@Example.ru"], ids=["phone", "email"])
def test_login_by_phone_or_email(page, customer, identifier):
    log_in(page, identifier)
    expect(page).to_have_url("/home/")
    expect(page.get_by_role("heading", name="Здравствуйте, Анна!")).to_be_visible()


def test_wrong_password_shows_one_message_and_keeps_the_identifier(page, customer):
    log_in(page, "8 (912) 000-00-01", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text(INVALID)
    expect(page.get_by_label(IDENTIFIER)).to_have_value("8 (912) 000-00-01")
    expect(page.get_by_label("Пароль")).to_have_value("")
    expect(page.get_by_text(NOT_SERVED)).to_have_count(0)
    expect(page).to_have_url("/login/")


def test_closed_account_is_not_served(page, sverdlovsk):
    new = make_account(sverdlovsk, "660100000002")
    old = make_account(sverdlovsk, "660100000003", status="closed", replaced_by=new)
    make_customer("+79120000002", old)
    log_in(page, "660100000003")
    problem = page.get_by_role("alert").filter(has_text=NOT_SERVED)
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("войдите в личный кабинет, используя номер телефона или e-mail")
    expect(problem.get_by_role("link", name="8-800-700-10-32")).to_have_attribute("href", "tel:88007001032")
    page.goto("/home/")
    expect(page).to_have_url("/login/?next=/home/")


def test_blocked_user_is_not_served(page, account):
    make_customer("+79120000005", account, is_active=False)
    log_in(page, "+7 912 000-00-05")
    expect(page.get_by_role("alert").filter(has_text=NOT_SERVED)).to_be_visible()
    expect(page).to_have_url("/login/")


def test_registry_unavailable_is_object_not_found(page, customer, sverdlovsk, settings):
    settings.KABINET_REGISTRY_AVAILABLE = False
    log_in(page, "660100000001")
    problem = page.get_by_role("alert").filter(has_text="Объект не найден")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("Повторите регистрацию или вход в личный кабинет позже")
    expect(problem.get_by_role("link", name="8-800-700-10-32")).to_be_visible()
    expect(problem.get_by_role("link", name="«Обратная связь»")).to_have_attribute("href", sverdlovsk.feedback_url)
    expect(page.get_by_label(IDENTIFIER)).to_have_value("660100000001")
    # The phone does not need the registry.
    log_in(page, "+79120000001")
    expect(page).to_have_url("/home/")


def test_logout(page, customer):
    log_in(page, "+79120000001")
    expect(page).to_have_url("/home/")
    page.get_by_text("Анна Иванова").click()
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url("/login/")
    expect(page.get_by_role("button", name="Войти")).to_be_visible()
    page.goto("/home/")
    expect(page).to_have_url("/login/?next=/home/")
