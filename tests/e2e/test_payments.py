"""Paying online in the browser (issue 13) with the demo acquirer, as `make run` has it: from
the card's «Оплатить» through «Тестовая оплата» back to the return page, which shows
«Платёж в обработке» and then, once its script has asked, the paid balance; a cancelled
payment says why and offers «Попробовать снова». The pages fit a 360-px phone."""

from playwright.sync_api import expect
import pytest

from tests.e2e.helpers import assert_fits_the_screen, log_in, wait_ready
from tests.factories import make_billed

CARD = "Лицевой счёт 660100000001"
PAY = "Оплатить по лицевому счёту 660100000001"


@pytest.fixture
def demo(settings):
    """The live server as `make run` starts it: DEBUG on (the demo acquirer), the outbox routed."""
    settings.DEBUG, settings.ROOT_URLCONF = True, "tests.core.urls_with_outbox"
    settings.KABINET_YOOKASSA_SHOP_ID = settings.KABINET_YOOKASSA_SECRET_KEY = ""


@pytest.fixture
def debtor(demo, customer, account):
    make_billed(account)  # 1 536,18 ₽ to pay
    return account


def start_paying(page) -> None:
    """From the home card's «Оплатить» to the demo acquirer's page."""
    page.get_by_role("article", name=CARD).get_by_role("link", name=PAY).click()
    expect(page.get_by_role("heading", name="Оплата", exact=True)).to_be_visible()
    wait_ready(page)
    expect(page.get_by_label("Сумма к оплате, ₽")).to_have_value("1536,18")
    expect(page.get_by_label("Банковская карта")).to_be_checked()
    expect(page.get_by_label("E-mail или телефон для чека")).to_have_value("anna@example.ru")
    expect(page.get_by_text("Тестовая оплата — деньги не списываются")).to_be_visible()
    assert_fits_the_screen(page)
    page.get_by_role("button", name="Перейти к оплате").click()
    expect(page.get_by_role("heading", name="Тестовая оплата")).to_be_visible()
    wait_ready(page)


def back_from_the_acquirer(page, button: str) -> str:
    """Press `button` on «Тестовая оплата»; the return page's HTML as the server sent it."""
    with page.expect_response(lambda r: "/pay/" in r.url and r.request.resource_type == "document") as sent:
        page.get_by_role("button", name=button, exact=True).click()
    wait_ready(page)
    page.locator("[data-payment-final]").wait_for()  # the script asked, and the answer is final
    return sent.value.text()


def test_a_customer_pays_the_debt_by_card(page, debtor):
    log_in(page, "+79120000001")
    start_paying(page)
    acquirer = page.url

    page.goto("/home/")  # the card knows at once, before the acquirer has said anything
    card = page.get_by_role("article", name=CARD)
    expect(card.get_by_text("Платёж в обработке:")).to_be_visible()
    expect(card).to_contain_text("1 536,18 ₽")

    page.goto(acquirer)
    wait_ready(page)
    first = back_from_the_acquirer(page, "Оплатить")
    assert "Платёж в обработке" in first, "the return page shows Kabinet's own state first"
    expect(page.get_by_role("heading", name="Платёж зачислен")).to_be_visible()
    expect(page.get_by_text("задолженности нет")).to_be_visible()
    assert_fits_the_screen(page)

    page.get_by_role("link", name="Начисления и платежи").click()
    expect(page.get_by_role("heading", name="Начисления и платежи")).to_be_visible()
    expect(page.get_by_text("Задолженности нет")).to_be_visible()
    page.locator("details.month > summary", has_text="оплачено 1 536,18 ₽").click()  # this month's
    expect(page.get_by_text("1 536,18 ₽ (Онлайн: СБП или карта)")).to_be_visible()
    expect(page.get_by_text("Платёж в обработке:")).to_have_count(0)


def test_a_cancelled_payment_says_why_and_offers_to_try_again(page, debtor):
    log_in(page, "+79120000001")
    start_paying(page)
    back_from_the_acquirer(page, "Отменить")
    expect(page.get_by_role("heading", name="Платёж не прошёл")).to_be_visible()
    expect(page.get_by_text("Платёж не подтвердили вовремя. Попробуйте оплатить ещё раз.")).to_be_visible()
    assert_fits_the_screen(page)
    page.get_by_role("link", name="Попробовать снова").click()
    expect(page.get_by_role("heading", name="Оплата", exact=True)).to_be_visible()
    expect(page.get_by_label("Сумма к оплате, ₽")).to_have_value("1536,18")


def test_a_refused_amount_is_said_at_the_field(page, debtor):
    log_in(page, "+79120000001")
    page.get_by_role("article", name=CARD).get_by_role("link", name=PAY).click()
    wait_ready(page)
    page.get_by_label("Сумма к оплате, ₽").fill("200000")
    page.get_by_label("СБП").check()
    page.get_by_role("button", name="Перейти к оплате").click()
    expect(page.get_by_role("heading", name="Есть ошибки")).to_be_visible()
    field = page.locator(".field-text").filter(has=page.get_by_label("Сумма к оплате, ₽"))
    expect(field.get_by_role("alert")).to_have_text("Сумма платежа — не больше 100 000,00 ₽.")
    expect(page.get_by_label("Сумма к оплате, ₽")).to_have_value("200000")
    expect(page.get_by_label("СБП")).to_be_checked()
    assert_fits_the_screen(page)
