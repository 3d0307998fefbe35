"""Starting a payment at ЮKassa (the local look-alike): the request, limits, retries."""

from datetime import date
from decimal import Decimal

import pytest

from kabinet.billing.models import MonthBalance
from kabinet.payments.errors import AcquirerUnavailable, PaymentRefused
from kabinet.payments.models import OnlinePayment
from kabinet.payments.services import start_payment, suggested_amount
from tests.factories import make_account, make_customer

RETURN = "https://lk.example.ru/payments/return/"


def pay(customer, account, amount="1500.00", **fields):
    fields.setdefault("receipt_email", "anna@example.ru")
    return start_payment(
        user=customer, account=account, amount=Decimal(amount), method="bank_card", return_url=RETURN, **fields
    )


def test_a_payment_is_created_at_yookassa_with_the_receipt(db, yookassa, account, customer):
    payment = pay(customer, account)
    assert payment.status == OnlinePayment.Status.PENDING
    sent_body, obj = next(iter(yookassa.keys.values()))
    assert payment.acquirer_id == obj["id"] and payment.confirmation_url.startswith("https://yoomoney.ru/")
    assert sent_body["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert sent_body["capture"] is True
    assert sent_body["confirmation"] == {"type": "redirect", "return_url": RETURN}
    assert sent_body["payment_method_data"] == {"type": "bank_card"}
    assert sent_body["metadata"] == {"kabinet_payment": str(payment.public_id), "account": "660100000001"}
    assert "660100000001" in sent_body["description"]
    item = sent_body["receipt"]["items"][0]
    assert sent_body["receipt"]["customer"] == {"email": "anna@example.ru"}
    assert item["vat_code"] == 1 and item["payment_subject"] == "service" and item["payment_mode"] == "full_payment"
    assert item["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert yookassa.requests[0][2] == str(payment.public_id), "the public id is the Idempotence-Key"
    assert [e.new_status for e in payment.events.all()] == ["pending"]


def test_sbp_and_a_phone_for_the_receipt(db, yookassa, account, customer):
    payment = start_payment(
        user=customer,
        account=account,
        amount=Decimal("10"),
        method="sbp",
        receipt_phone="8 (912) 345-67-89",
        return_url=RETURN,
    )
    sent_body, _ = next(iter(yookassa.keys.values()))
    assert sent_body["payment_method_data"] == {"type": "sbp"}
    assert sent_body["receipt"]["customer"] == {"phone": "79123456789"}
    assert payment.receipt_phone == "79123456789"


def test_a_retry_after_a_5xx_uses_the_same_key_and_creates_one_payment(db, yookassa, account, customer):
    yookassa.script = [("status", 500), ("status", 503)]
    payment = pay(customer, account)
    assert payment.status == OnlinePayment.Status.PENDING
    keys = {key for method, _, key in yookassa.requests if method == "POST"}
    assert len(yookassa.requests) == 3 and keys == {str(payment.public_id)}
    assert len(yookassa.payments) == 1


def test_a_timeout_then_a_retry_finds_the_payment_created_by_the_first_request(db, yookassa, account, customer):
    yookassa.script = [("slow", 1.5)]  # ЮKassa creates the payment, the answer comes too late
    payment = pay(customer, account)
    assert len(yookassa.payments) == 1
    assert payment.acquirer_id == next(iter(yookassa.payments))
    assert len(yookassa.requests) == 2


def test_an_acquirer_that_never_answers_tells_the_customer_and_leaves_the_payment_new(db, yookassa, account, customer):
    yookassa.script = [("status", 502)] * 3
    with pytest.raises(AcquirerUnavailable) as failure:
        pay(customer, account)
    assert "временно недоступна" in failure.value.message
    payment = OnlinePayment.objects.get()
    assert payment.status == OnlinePayment.Status.NEW, "a timed-out attempt may have created it: the task asks again"


def test_wrong_credentials_are_no_retry(db, yookassa, account, customer, settings):
    settings.KABINET_YOOKASSA_SECRET_KEY = "wrong"
    with pytest.raises(AcquirerUnavailable):
        pay(customer, account)
    assert len(yookassa.requests) == 1


@pytest.mark.parametrize("amount", ["0.99", "100000.01", "0", "-5", "12.345"])
def test_amounts_outside_the_limits_are_refused(db, yookassa, account, customer, amount):
    with pytest.raises(PaymentRefused) as refused:
        pay(customer, account, amount)
    assert refused.value.field == "amount"
    assert not yookassa.requests and not OnlinePayment.objects.exists()


def test_the_limits_come_from_settings(db, yookassa, account, customer, settings):
    settings.KABINET_PAYMENT_MAX = Decimal("500.00")
    with pytest.raises(PaymentRefused, match="не больше 500,00"):
        pay(customer, account, "500.01")
    assert pay(customer, account, "500.00").amount == Decimal("500.00")


def test_a_user_who_does_not_hold_the_account_cannot_pay_into_it(db, yookassa, account, customer, sverdlovsk):
    stranger = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", flat="6"))
    with pytest.raises(PaymentRefused):
        pay(stranger, account)
    assert not yookassa.requests


def test_a_receipt_needs_an_email_or_a_phone(db, yookassa, account, customer):
    with pytest.raises(PaymentRefused) as refused:
        pay(customer, account, receipt_email="")
    assert refused.value.field == "receipt"
    with pytest.raises(PaymentRefused):
        pay(customer, account, receipt_email="not-an-address")


def month(account, period: str, opening: str, accrued: str, paid: str) -> None:
    opening, accrued, paid = Decimal(opening), Decimal(accrued), Decimal(paid)
    MonthBalance.objects.create(account=account, period=date.fromisoformat(period), opening=opening,
                                accrued=accrued, paid=paid, closing=opening + accrued - paid)  # fmt: skip


def test_the_suggested_amount_is_the_debt(db, account):
    month(account, "2026-10-01", "0", "1200.50", "0")
    month(account, "2026-11-01", "1200.50", "0", "200")
    assert suggested_amount(account) == Decimal("1000.50")


def test_with_nothing_owed_the_suggested_amount_is_the_latest_bill_not_the_empty_current_month(db, account):
    month(account, "2026-09-01", "0", "900.00", "900.00")
    month(account, "2026-10-01", "0", "1200.50", "3000.00")  # overpaid
    month(account, "2026-11-01", "-1799.50", "0", "0")  # not billed yet
    assert suggested_amount(account) == Decimal("1200.50")


def test_a_new_account_with_no_history_suggests_the_minimum(db, account, settings):
    settings.KABINET_PAYMENT_MIN = Decimal("10.00")
    assert suggested_amount(account) == Decimal("10.00")
