"""The demo acquirer («Тестовая оплата»): only with DEBUG on and no ЮKassa shop."""

from decimal import Decimal

import pytest

from kabinet.billing.models import Payment
from kabinet.payments.demo import DemoAcquirer
from kabinet.payments.errors import AcquirerUnavailable
from kabinet.payments.models import OnlinePayment
from kabinet.payments.services import check_payment, is_demo, online_payment_available, refund, start_payment
from tests.factories import customer_login

RETURN = "/accounts/return/"


@pytest.fixture
def demo(settings):
    """As `make run` serves it: DEBUG on (the outbox routed), no ЮKassa shop."""
    settings.DEBUG, settings.ROOT_URLCONF = True, "tests.core.urls_with_outbox"
    settings.KABINET_YOOKASSA_SHOP_ID = settings.KABINET_YOOKASSA_SECRET_KEY = ""


def started(customer, account, method="bank_card"):
    return start_payment(
        user=customer,
        account=account,
        amount=Decimal("812.40"),
        method=method,
        receipt_email="anna@example.ru",
        return_url=RETURN,
    )


def test_pay_in_the_demo(db, client, demo, account, customer):
    assert is_demo() and online_payment_available()
    payment = started(customer, account)
    assert payment.confirmation_url.startswith("/payments/demo/")
    customer_login(client, customer)
    page = client.get(payment.confirmation_url)
    text = page.content.decode()
    assert "Тестовая оплата" in text and "Деньги не списываются" in text
    assert "812,40" in text and "660100000001" in text
    answer = client.post(payment.confirmation_url, {"action": "pay"})
    assert answer.status_code == 302 and answer["Location"] == RETURN
    assert check_payment(payment).status == OnlinePayment.Status.SUCCEEDED
    assert Payment.objects.get().amount == Decimal("812.40")
    assert client.post(payment.confirmation_url, {"action": "cancel"}).status_code == 200, "finished: stays paid"
    assert check_payment(OnlinePayment.objects.get()).status == "succeeded"


def test_cancel_in_the_demo(db, client, demo, account, customer):
    payment = started(customer, account, "sbp")
    assert client.post(payment.confirmation_url, {"action": "cancel"})["Location"] == RETURN
    payment = check_payment(payment)
    assert payment.status == "canceled" and payment.failure_message


def test_demo_refunds_succeed_at_once(db, client, demo, account, customer, django_user_model):
    payment = started(customer, account)
    client.post(payment.confirmation_url, {"action": "pay"})
    payment = check_payment(payment)
    done = refund(payment=payment, amount=Decimal("12.40"), reason="Ошибка в сумме", staff_user=None)
    assert done.status == "succeeded" and done.ledger_entry.amount == Decimal("-12.40")


def test_the_demo_keeps_its_side_in_the_database(db, demo):
    """A restart of `make run` (a new DemoAcquirer) finds the same payment; the same key gives it back."""
    body = {"amount": {"value": "1.00", "currency": "RUB"}, "confirmation": {"type": "redirect", "return_url": "/"}}
    first = DemoAcquirer().create_payment(body, "key-1")
    assert DemoAcquirer().get_payment(first["id"]) == first
    assert DemoAcquirer().create_payment(body, "key-1") == first


def test_no_demo_without_debug(db, client, demo, settings, account, customer):
    payment = started(customer, account)
    settings.DEBUG = False
    assert not is_demo() and not online_payment_available()
    assert client.get(payment.confirmation_url).status_code == 404
    assert client.post(payment.confirmation_url, {"action": "pay"}).status_code == 404
    with pytest.raises(AcquirerUnavailable):
        started(customer, account)


def test_no_demo_when_yookassa_is_configured(db, client, demo, settings, account, customer):
    payment = started(customer, account)
    settings.KABINET_YOOKASSA_SHOP_ID, settings.KABINET_YOOKASSA_SECRET_KEY = "1", "k"
    assert not is_demo()
    assert client.get(payment.confirmation_url).status_code == 404
