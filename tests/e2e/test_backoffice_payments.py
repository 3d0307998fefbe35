"""A supervisor finds a customer's payment by the account number in «Платежи» and returns part
of it in the demo acquirer (issue 13, «The company»)."""

from decimal import Decimal
import re

from playwright.sync_api import expect
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.billing.models import Payment
from kabinet.payments import demo
from kabinet.payments.models import Refund
from kabinet.payments.services import check_payment, start_payment
from tests.e2e.helpers import staff_log_in, wait_ready
from tests.factories import make_account, make_online_payment, make_staff

SHOTS = "/tmp/kab/shots"


@pytest.fixture
def paid_in_demo(settings, account, sverdlovsk):
    """A card payment of 2 450,00 ₽ the demo acquirer took, among others of the region."""
    settings.DEBUG = True  # the demo acquirer stands in only in a demo
    other = make_account(sverdlovsk, "660100000002", flat="6")
    for amount in ("2450.00", "990.00"):
        make_online_payment(other, amount)
    payment = start_payment(user=None, account=account, amount=Decimal("2450.00"), method="bank_card",
                            receipt_email="anna@example.ru", return_url="/")  # fmt: skip
    demo.finish(payment.acquirer_id, paid=True)
    return check_payment(payment)


def test_supervisor_finds_a_payment_by_account_and_refunds_part(desktop_page, paid_in_demo, sverdlovsk):
    page = desktop_page
    make_staff("supervisor@example.ru", StaffRole.Role.SUPERVISOR, sverdlovsk, first_name="Ольга")
    staff_log_in(page, "supervisor@example.ru")
    page.get_by_role("navigation", name="Разделы бэк-офиса").get_by_role("link", name="Платежи").click()
    expect(page.get_by_role("heading", name="Платежи")).to_be_visible()
    expect(page.get_by_role("row")).to_have_count(4)  # the head and three payments
    page.get_by_label("Лицевой счёт").fill("660100000001")
    page.get_by_role("button", name="Показать").click()
    expect(page.get_by_role("row")).to_have_count(2)
    row = page.get_by_role("row").nth(1)
    expect(row).to_contain_text("2\u00a0450,00\u00a0₽")
    expect(row).to_contain_text("Оплачен")
    page.screenshot(path=f"{SHOTS}/backoffice-payments-1280.png", full_page=True)

    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Платёж 2\s450,00\s₽"))).to_be_visible()
    wait_ready(page)
    amount = page.get_by_label("Сумма возврата")
    expect(amount).to_have_value("2\u00a0450,00")
    amount.fill("3000")
    page.get_by_role("button", name="Вернуть", exact=True).click()
    expect(page.get_by_text("Укажите причину возврата: она останется в журнале платежа.").last).to_be_visible()
    expect(amount).to_have_value("3000")
    page.get_by_label("Причина возврата").fill("Двойная оплата за март")
    page.get_by_role("button", name="Вернуть", exact=True).click()
    expect(page.locator("#id_amount_error")).to_have_text(re.compile("Вернуть можно не больше 2\u00a0450,00\u00a0₽"))
    expect(page.get_by_label("Причина возврата")).to_have_value("Двойная оплата за март")
    page.screenshot(path=f"{SHOTS}/backoffice-refund-error-1280.png", full_page=True)

    amount.fill("450,00")
    page.get_by_role("button", name="Вернуть", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Возврат 450,00\u00a0₽ выполнен.")
    refunds = page.get_by_role("region", name="Возвраты")
    expect(refunds).to_contain_text("Двойная оплата за март")
    expect(refunds).to_contain_text("Ольга Сотрудник")
    expect(page.get_by_label("Сумма возврата")).to_have_value("2\u00a0000,00")
    page.screenshot(path=f"{SHOTS}/backoffice-payment-refunded-1280.png", full_page=True)

    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (Decimal("450.00"), Refund.Status.SUCCEEDED)
    assert Payment.objects.get(pk=refund.ledger_entry_id).amount == Decimal("-450.00")
