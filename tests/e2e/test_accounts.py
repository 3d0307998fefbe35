"""Home cards and «Начисления и платежи» in the browser (issue 5)."""

from datetime import date
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from kabinet.billing.balances import rebuild_balances
from kabinet.billing.models import Accrual, Payment, Service
from kabinet.billing.periods import add_months
from kabinet.identity.models import AccountLink
from tests.e2e.helpers import assert_fits_the_screen, goto, log_in
from tests.factories import make_account


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


CHEVRON = """summary => {
  const mark = getComputedStyle(summary, "::before");
  return {shown: mark.content !== "none" && parseFloat(mark.width) > 0 && parseFloat(mark.borderRightWidth) > 0,
          turn: mark.transform};
}"""


def test_months_show_they_open_and_the_latest_billed_one_is_open(page, customer, account):
    electricity = Service.objects.create(code="electricity", name="Электроснабжение", unit="кВт·ч")
    for month in (9, 10):
        Accrual.objects.create(account=account, period=date(2026, month, 1), service=electricity,
                               volume=Decimal("200"), tariff=Decimal("5.0000"), amount=Decimal("1000.00"))  # fmt: skip
    Payment.objects.create(account=account, paid_on=date(2026, 11, 5), amount=Decimal("400.00"), channel="online")
    rebuild_balances(account)

    log_in(page, "+79120000001")
    goto(page, f"/accounts/{account.pk}/")
    november, october = page.locator("details.month").nth(0), page.locator("details.month").nth(1)
    expect(november.locator(".month-name")).to_have_text("Ноябрь 2026")  # so far only a payment
    expect(october.get_by_role("table", name="Начисления за октябрь 2026")).to_be_visible()
    expect(october.locator("dt:text-is('На начало месяца') + dd")).to_have_text("долг 1 000,00 ₽")
    expect(november.locator("summary")).to_contain_text("долг на конец 1 600,00 ₽")

    closed = november.locator("summary").evaluate(CHEVRON)
    assert closed["shown"], "a closed month shows no sign that it opens"
    november.locator("summary").click()
    expect(november).to_contain_text("05.11.2026 — 400,00 ₽ (Онлайн: СБП или карта)")
    assert november.locator("summary").evaluate(CHEVRON)["turn"] != closed["turn"], "the sign does not turn when open"


def test_both_home_cards_give_their_balance_as_of_today_and_no_debt_reads_the_same(page, customer, account, sverdlovsk):
    electricity = Service.objects.create(code="electricity", name="Электроснабжение", unit="кВт·ч")
    this_month = timezone.localdate().replace(day=1)
    second = make_account(sverdlovsk, "660100000055", house="5")
    AccountLink.objects.create(user=customer, account=second)
    for each in (account, second):
        Accrual.objects.create(account=each, period=add_months(this_month, -1), service=electricity,
                               volume=Decimal("200"), tariff=Decimal("5.0000"), amount=Decimal("1000.00"))  # fmt: skip
    # The first paid in full this month; the second's last entry is last month's bill.
    Payment.objects.create(account=account, paid_on=this_month, amount=Decimal("1000.00"), channel="bank")
    for each in (account, second):
        rebuild_balances(each)

    log_in(page, "+79120000001")
    paid = page.get_by_role("article", name="Лицевой счёт 660100000001")
    owing = page.get_by_role("article", name="Лицевой счёт 660100000055")
    today = f"{timezone.localdate():%d.%m.%Y}"
    for card in (paid, owing):
        expect(card.locator("dt:text-is('На дату') + dd")).to_have_text(today)
    expect(paid.get_by_text("Задолженности нет", exact=True)).to_be_visible()

    paid.get_by_role("link", name="Начисления и платежи").click()
    expect(page.get_by_role("heading", name="Начисления и платежи")).to_be_visible()
    expect(page.locator(".balance-card").get_by_text("Задолженности нет", exact=True)).to_be_visible()
