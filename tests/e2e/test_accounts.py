"""Home cards and «Начисления и платежи» in the browser (issue 5)."""

from datetime import date
from decimal import Decimal

from playwright.sync_api import expect

from kabinet.billing.balances import rebuild_balances
from kabinet.billing.models import Accrual, Payment, Service
from tests.e2e.helpers import assert_fits_the_screen, log_in


def test_home_card_then_accruals_with_chart_and_months(any_page, customer, account):
    electricity = Service.objects.create(code="electricity", name="Электроснабжение", unit="кВт·ч")
    for month, volume in ((9, "180"), (10, "240")):
        amount = Decimal(volume) * Decimal("5.82")
        Accrual.objects.create(account=account, period=date(2026, month, 1), service=electricity,
                               volume=Decimal(volume), tariff=Decimal("5.8200"), amount=amount)  # fmt: skip
    Payment.objects.create(account=account, paid_on=date(2026, 10, 6), amount=Decimal("1047.60"), channel="bank")
    rebuild_balances(account)
    page = any_page

    log_in(page, "+79120000001")
    card = page.get_by_role("article", name="Лицевой счёт 660100000001")
    expect(card.get_by_text("К оплате: 1 396,80 ₽")).to_be_visible()  # 240 × 5,82 after September was paid
    expect(card.get_by_text("1 047,60 ₽, 06.10.2026")).to_be_visible()
    card.get_by_role("link", name="Начисления и платежи").click()

    expect(page.get_by_role("heading", name="Начисления и платежи")).to_be_visible()
    expect(page.get_by_role("img", name="Сальдо на конец месяца")).to_be_visible()
    expect(page.get_by_role("img", name="Потребление электроэнергии, кВт·ч")).to_be_visible()
    october = page.locator("details.month").first
    expect(october.get_by_role("table", name="Начисления за октябрь 2026")).to_be_visible()  # the newest is open
    september = page.locator("details.month").nth(1)
    expect(september.get_by_role("table")).to_be_hidden()
    september.locator("summary").click()
    expect(september.get_by_role("row", name="Электроснабжение")).to_contain_text("180 кВт·ч")
    assert_fits_the_screen(page)  # on a phone each service is a block, not a table to scroll
    expect(october).to_contain_text("06.10.2026 — 1 047,60 ₽ (Банк)")  # paid in October, for September
    page.get_by_text("Таблица данных графиков").click()
    expect(page.get_by_role("table", name="Сальдо и потребление по месяцам")).to_contain_text("1 396,80 ₽")
