"""«Автоплатёж» in the browser with the demo acquirer («Тестовая оплата»): from the account
card, set it up (the first payment confirmed on the demo page saves the card), see it, switch
it off and read that the card is no longer used."""

from playwright.sync_api import expect

from kabinet.payments.models import AutoPayment
from tests.e2e.helpers import log_in, wait_ready


def test_customer_sets_up_autopayment_and_switches_it_off(any_page, customer, account, settings):
    settings.DEBUG, settings.ROOT_URLCONF = True, "tests.core.urls_with_outbox"  # as `make run` serves it
    settings.KABINET_YOOKASSA_SHOP_ID = settings.KABINET_YOOKASSA_SECRET_KEY = ""
    page = any_page
    log_in(page, "+79120000001")
    card = page.get_by_role("article", name="Лицевой счёт 660100000001")
    card.get_by_role("link", name="Автоплатёж").click()
    expect(page.get_by_role("heading", name="Автоплатёж", exact=True)).to_be_visible()
    wait_ready(page)

    page.get_by_label("Не больше, ₽").fill("много")
    page.get_by_role("button", name="Подключить автоплатёж").click()
    expect(page.get_by_text("Введите сумму числом").first).to_be_visible()
    expect(page.get_by_label("Не больше, ₽")).to_have_value("много")

    page.get_by_label("День списания").select_option("20")
    page.get_by_label("Не больше, ₽").fill("3000")
    page.get_by_role("button", name="Подключить автоплатёж").click()
    expect(page.get_by_role("heading", name="Тестовая оплата")).to_be_visible()
    page.get_by_role("button", name="Оплатить").click()

    expect(page.get_by_role("heading", name="Автоплатёж подключён")).to_be_visible()
    expect(page.get_by_text("Карта •••• 4444")).to_be_visible()
    expect(page.get_by_text("20-го числа каждого месяца")).to_be_visible()
    expect(page.get_by_text("3 000,00 ₽").first).to_be_visible()

    page.get_by_role("link", name="Отключить автоплатёж").click()
    expect(page.get_by_role("heading", name="Отключить автоплатёж?")).to_be_visible()
    page.get_by_role("button", name="Отключить автоплатёж").click()
    expect(page.get_by_role("status").filter(has_text="Автоплатёж отключён")).to_be_visible()
    expect(page.get_by_role("button", name="Подключить автоплатёж")).to_be_visible()
    autopayment = AutoPayment.objects.get()
    assert autopayment.status == "stopped" and autopayment.method_id == ""
