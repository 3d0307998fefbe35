"""Online payment through the API: start (the acquirer's confirmation_url comes back) and
follow the status, through the demo acquirer; the rules are start_payment's, so its refusals
come back at their fields. Only a sign-in's access token may pay."""

from django.core.cache import cache
import pytest

from kabinet.payments.demo import finish
from kabinet.payments.models import OnlinePayment
from tests.factories import access_token, api_token, bearer, make_account, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_acquirer(settings):
    """The demo acquirer («Тестовая оплата»): DEBUG on, no ЮKassa shop."""
    settings.DEBUG = True
    settings.KABINET_YOOKASSA_SHOP_ID = settings.KABINET_YOOKASSA_SECRET_KEY = ""


@pytest.fixture
def headers(customer):
    return bearer(access_token(customer))


def start(client, account, headers, **body):
    body = {"amount": "1500.00", "method": "sbp", "receipt_email": "anna@example.ru"} | body
    return client.post(
        f"/api/v1/accounts/{account.pk}/payments/online", body, content_type="application/json", headers=headers
    )


def test_start_returns_the_confirmation_url_then_the_status_follows(client, customer, account, demo_acquirer, headers):
    response = start(client, account, headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["amount"] == "1500.00" and body["method"] == "sbp"
    assert body["confirmation_url"]
    payment = OnlinePayment.objects.get(public_id=body["public_id"])
    assert payment.user == customer and payment.receipt_email == "anna@example.ru"
    status = client.get(f"/api/v1/payments/online/{body['public_id']}", headers=headers)
    assert status.status_code == 200 and status.json()["status"] == "pending"
    finish(payment.acquirer_id, paid=True)
    cache.clear()  # the acquirer was asked a moment ago: the throttle lets the next question wait
    paid = client.get(f"/api/v1/payments/online/{body['public_id']}", headers=headers).json()
    assert paid["status"] == "succeeded" and paid["final"] and paid["status_name"] == "оплачен"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"amount": "0.50"}, "amount", "Сумма платежа — не меньше"),
        ({"amount": "10.001"}, "amount", "Сумма — в рублях и копейках"),
        ({"method": "cash"}, "method", "Выберите способ оплаты."),
        ({"receipt_email": ""}, "receipt_email", "Укажите e-mail или телефон для электронного чека."),
        ({"receipt_email": "", "receipt_phone": "12"}, "receipt_phone", "Введите номер телефона"),
    ],
)
def test_the_domains_refusals_come_back_at_their_fields(
    client, customer, account, demo_acquirer, headers, body, field, message
):
    response = start(client, account, headers, **body)
    assert response.status_code == 422
    assert response.json()["errors"][field][0].startswith(message)
    assert not OnlinePayment.objects.exists()


def test_a_personal_token_cannot_pay_or_look(client, customer, account, demo_acquirer, headers):
    token = bearer(api_token(customer, write=True))
    assert start(client, account, token).status_code == 403
    public_id = start(client, account, headers).json()["public_id"]
    assert client.get(f"/api/v1/payments/online/{public_id}", headers=token).status_code == 403


def test_another_customers_payment_is_not_found(client, customer, sverdlovsk, demo_acquirer, headers):
    other_account = make_account(sverdlovsk, "660100000002")
    other = make_customer("+79120000002", other_account)
    theirs = start(client, other_account, bearer(access_token(other))).json()["public_id"]
    assert client.get(f"/api/v1/payments/online/{theirs}", headers=headers).status_code == 404
    assert start(client, other_account, headers).status_code == 404


def test_without_an_acquirer_the_payment_is_unavailable(client, customer, account, settings, headers):
    settings.DEBUG = False
    settings.KABINET_YOOKASSA_SHOP_ID = ""
    response = start(client, account, headers)
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Оплата временно недоступна.")


def test_polling_the_status_asks_the_acquirer_at_most_once_every_few_seconds(
    client, customer, account, demo_acquirer, headers
):
    public_id = start(client, account, headers).json()["public_id"]
    payment = OnlinePayment.objects.get(public_id=public_id)
    assert client.get(f"/api/v1/payments/online/{public_id}", headers=headers).json()["status"] == "pending"
    finish(payment.acquirer_id, paid=True)
    # Asked a moment ago: the answer is Kabinet's until the throttle lets the next question through.
    assert client.get(f"/api/v1/payments/online/{public_id}", headers=headers).json()["status"] == "pending"
    cache.clear()
    assert client.get(f"/api/v1/payments/online/{public_id}", headers=headers).json()["status"] == "succeeded"
