"""ЮKassa's HTTP notifications and the checks: applied once, never on the body's word."""

from datetime import date
from decimal import Decimal

from kabinet.billing.models import MonthBalance, Payment
from kabinet.payments.models import OnlinePayment
from kabinet.payments.services import check_payment, start_payment
from tests.payments.fake_yookassa import SECRET_KEY

URL = "/payments/notifications/"


def started(customer, account, amount="1500.00"):
    return start_payment(
        user=customer,
        account=account,
        amount=Decimal(amount),
        method="bank_card",
        receipt_email="anna@example.ru",
        return_url="https://lk.example.ru/back/",
    )


def post(client, body: bytes):
    return client.post(URL, data=body, content_type="application/json")


def test_a_notification_of_success_records_one_payment_and_the_balance(db, client, yookassa, account, customer):
    payment = started(customer, account)
    obj = yookassa.succeed(payment.acquirer_id)
    assert post(client, yookassa.notification("payment.succeeded", obj)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == OnlinePayment.Status.SUCCEEDED and payment.paid_at
    entry = Payment.objects.get()
    assert payment.ledger_entry == entry
    assert (entry.channel, entry.source_id, entry.amount) == ("online", payment.acquirer_id, Decimal("1500.00"))
    assert entry.paid_on == date(2026, 3, 2), "19:30 UTC is the 2nd in Yekaterinburg"
    balance = MonthBalance.objects.get(account=account)
    assert balance.paid == Decimal("1500.00") and balance.closing == Decimal("-1500.00")


def test_a_duplicate_notification_counts_once(db, client, yookassa, account, customer):
    payment = started(customer, account)
    body = yookassa.notification("payment.succeeded", yookassa.succeed(payment.acquirer_id))
    assert [post(client, body).status_code for _ in range(3)] == [200, 200, 200]
    assert Payment.objects.count() == 1
    assert [e.new_status for e in payment.events.all()] == ["pending", "succeeded"]
    assert check_payment(payment).status == "succeeded" and Payment.objects.count() == 1


def test_a_notification_before_the_customer_returns(db, client, yookassa, account, customer):
    """ЮKassa often notifies before the customer's browser is back: the return page then finds it paid."""
    payment = started(customer, account)
    post(client, yookassa.notification("payment.succeeded", yookassa.succeed(payment.acquirer_id)))
    returned = check_payment(OnlinePayment.objects.get(pk=payment.pk))
    assert returned.status == "succeeded" and Payment.objects.count() == 1


def test_a_forged_notification_changes_nothing(db, client, yookassa, account, customer):
    payment = started(customer, account)
    forged = {**yookassa.payments[payment.acquirer_id], "status": "succeeded", "paid": True}
    assert post(client, yookassa.notification("payment.succeeded", forged)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == "pending" and not Payment.objects.exists()


def test_an_object_that_does_not_match_the_payment_is_refused(db, client, yookassa, account, customer):
    payment = started(customer, account)
    obj = yookassa.succeed(payment.acquirer_id)
    obj["amount"] = {"value": "15000.00", "currency": "RUB"}  # the acquirer's word, but not ours
    assert post(client, yookassa.notification("payment.succeeded", obj)).status_code == 400
    payment.refresh_from_db()
    assert payment.status == "pending" and not Payment.objects.exists()


def test_a_cancelled_payment_says_why(db, client, yookassa, account, customer):
    payment = started(customer, account)
    post(client, yookassa.notification("payment.canceled", yookassa.cancel(payment.acquirer_id)))
    payment.refresh_from_db()
    assert payment.status == "canceled" and payment.cancellation_reason == "insufficient_funds"
    assert "Недостаточно денег" in payment.failure_message
    assert not Payment.objects.exists()


def test_garbage_gets_400(db, client, yookassa):
    assert post(client, b"not json").status_code == 400
    assert post(client, b'{"event": "payment.succeeded"}').status_code == 400
    assert post(client, b'{"event": "payment.exploded", "object": {"id": "x"}}').status_code == 400
    unknown = b'{"event": "payment.succeeded", "object": {"id": "2e8dd95a-000f-5000-a000-1e3515f51c18"}}'
    assert post(client, unknown).status_code == 400
    assert client.get(URL).status_code == 405


def test_503_when_the_acquirer_cannot_be_asked(db, client, yookassa, account, customer):
    payment = started(customer, account)
    body = yookassa.notification("payment.succeeded", yookassa.succeed(payment.acquirer_id))
    yookassa.script = [("status", 500)] * 3
    assert post(client, body).status_code == 503
    assert post(client, body).status_code == 200, "ЮKassa sends it again"
    assert Payment.objects.count() == 1


def test_billing_imported_the_payment_first(db, client, yookassa, account, customer):
    """Billing's payments file brought the online payment before the notification: linked, not added."""
    payment = started(customer, account)
    imported = Payment.objects.create(
        account=account,
        paid_on=date(2026, 3, 2),
        amount=Decimal("1500.00"),
        channel="online",
        source_id=payment.acquirer_id,
    )
    post(client, yookassa.notification("payment.succeeded", yookassa.succeed(payment.acquirer_id)))
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.ledger_entry == imported
    assert Payment.objects.count() == 1


def test_a_notification_to_the_running_server(live_server, yookassa, account, customer):
    payment = started(customer, account)
    obj = yookassa.succeed(payment.acquirer_id)
    assert yookassa.notify(live_server.url + URL, "payment.succeeded", obj) == 200
    payment.refresh_from_db()
    assert payment.status == "succeeded"


def test_events_kabinet_does_not_use_get_200(db, client, yookassa):
    for event in ("payment_method.active", "deal.closed", "payout.succeeded"):
        assert post(client, yookassa.notification(event, {"id": "pm-1"})).status_code == 200
    assert not yookassa.requests


def test_credentials_yookassa_refuses_get_503_so_it_sends_again(db, client, yookassa, account, customer, settings):
    payment = start_payment(
        user=customer, account=account, amount=Decimal("10"), method="sbp", receipt_email="a@example.ru", return_url="/"
    )
    body = yookassa.notification("payment.succeeded", yookassa.succeed(payment.acquirer_id))
    settings.KABINET_YOOKASSA_SECRET_KEY = "rotated"
    assert post(client, body).status_code == 503
    settings.KABINET_YOOKASSA_SECRET_KEY = SECRET_KEY
    assert post(client, body).status_code == 200
