"""Paying online in the browser (issue 13) with the demo acquirer, as `make run` has it: from
the card's «Оплатить» through «Тестовая оплата» back to the return page, which shows
«Платёж в обработке» and then, once its script has asked, the paid balance; a cancelled
payment says why and offers «Попробовать снова». The pages fit a 360-px phone."""

import re

from playwright.sync_api import expect
import pytest

from tests.e2e.helpers import assert_fits_the_screen, log_in, wait_ready
from tests.factories import make_account, make_billed, make_customer, make_online_payment

CARD = "Лицевой счёт 660100000001"
PAY = "Оплатить по лицевому счёту 660100000001"
STATUS = re.compile(r"/pay/[0-9a-f-]+/status/$")
STALLED = "Статус пока не известен. Нажмите «Обновить» позже."


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


# --- The return page's asking: never forever, never given up at the first failure ---------------
def forgive_the_lost_requests(page) -> None:
    """Chromium logs each status request the test itself made fail: those are no fault."""
    page.watch.console_errors = [(text, url) for text, url in page.watch.console_errors if not STATUS.search(url)]


def test_a_failed_status_request_is_tried_again(page, debtor):
    """Two requests lost on the network: the script asks again, later, and shows the payment paid."""
    lost = []

    def flaky(route):
        if len(lost) < 2:
            lost.append(route.request.url)
            return route.abort()
        return route.continue_()

    page.clock.install()
    page.route(STATUS, flaky)
    log_in(page, "+79120000001")
    start_paying(page)
    page.get_by_role("button", name="Оплатить", exact=True).click()
    wait_ready(page)
    box = page.locator("[data-payment-status-url]")
    expect(box).to_have_attribute("data-payment-failed", "1")
    page.clock.run_for(2000)
    expect(box).to_have_attribute("data-payment-failed", "2")
    page.clock.run_for(4000)
    page.locator("[data-payment-final]").wait_for()
    expect(page.get_by_role("heading", name="Платёж зачислен")).to_be_visible()
    assert len(lost) == 2
    forgive_the_lost_requests(page)


def test_the_status_is_asked_for_ten_minutes_then_refresh_is_offered(page, debtor):
    """A payment nobody confirms: after ten minutes the script stops and says so by «Обновить»."""
    asked = []
    page.clock.install()
    page.on("request", lambda request: STATUS.search(request.url) and asked.append(request.url))
    log_in(page, "+79120000001")
    start_paying(page)
    page.goto("/home/")
    page.get_by_role("article", name=CARD).get_by_role("link", name="Подробнее").click()
    wait_ready(page)
    box = page.locator("[data-payment-status-url]")
    expect(box).to_have_attribute("data-payment-asked", "1")
    expect(page.get_by_text(STALLED)).to_have_count(0)
    page.clock.fast_forward("11:00")
    expect(box).to_have_attribute("data-payment-stopped", "")
    expect(page.get_by_text(STALLED)).to_be_visible()
    expect(page.get_by_role("button", name="Обновить")).to_be_visible()
    stopped_at = len(asked)
    page.clock.run_for(60_000)
    assert len(asked) == stopped_at, "no asking after it stopped"
    assert_fits_the_screen(page)


def test_the_status_unreachable_stops_after_a_few_tries_and_says_so(page, debtor):
    page.clock.install()
    page.route(STATUS, lambda route: route.abort())
    log_in(page, "+79120000001")
    start_paying(page)
    page.get_by_role("button", name="Оплатить", exact=True).click()
    wait_ready(page)
    box = page.locator("[data-payment-status-url]")
    for failed in range(1, 6):  # 2, 4, 8, 16, 32 s apart
        expect(box).to_have_attribute("data-payment-failed", str(failed))
        expect(page.get_by_text(STALLED)).to_have_count(0)
        page.clock.run_for(2000 * 2 ** (failed - 1))
    expect(box).to_have_attribute("data-payment-failed", "6")
    expect(page.get_by_text(STALLED)).to_be_visible()
    expect(page.get_by_role("heading", name="Платёж в обработке")).to_be_visible()
    expect(page.get_by_role("button", name="Обновить")).to_be_visible()
    forgive_the_lost_requests(page)


# --- Another customer's payment -----------------------------------------------------------------
def test_another_customers_payment_and_pay_form_are_not_found(page, customer, account, sverdlovsk):
    """Customer B changes the ids in the address to A's: the 404 page, nothing of A's shown.
    DEBUG off (Django's debug page would stand in for the 404 page)."""
    make_billed(account)
    theirs = make_online_payment(account, "1536.18", status="pending", receipt_email="anna@example.ru")
    make_customer("+79120000002", make_account(sverdlovsk, "660100000002", house="7"), first_name="Борис")
    log_in(page, "+79120000002")
    for path in (
        f"/pay/{theirs.public_id}/",
        f"/pay/{theirs.public_id}/status/",
        f"/accounts/{account.pk}/pay/",
    ):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_role("heading", name="Страница не найдена")).to_be_visible()
        text = page.content()
        for of_theirs in ("660100000001", "1 536,18", "1536,18", "anna@example.ru", "Малышева"):
            assert of_theirs not in text, f"{path} shows {of_theirs}"
    theirs.refresh_from_db()
    assert theirs.status == "pending" and theirs.user is None
