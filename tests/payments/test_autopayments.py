"""Autopayment against the local ЮKassa look-alike: the card saved by a first payment, the
charge on the day within the cap, no charge twice for one bill, a failure that stops it,
switching off, and the messages before and after (payments.autopayments, payments.autocharge)."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
import pytest

from kabinet.billing.balances import rebuild_balances
from kabinet.billing.models import Accrual, Service
from kabinet.core.models import AuditEvent
from kabinet.payments.autocharge import CATCH_UP_DAYS, run
from kabinet.payments.autopayments import Terms, next_charge_date, settle_setup, start_setup, switch_off
from kabinet.payments.models import AutoPayment, OnlinePayment
from tests.factories import in_threads

RETURN = "https://lk.example.ru/accounts/1/autopayment/"
MARCH = date(2026, 3, 1)
DAY = date(2026, 4, 15)  # the charge day of a March bill


def owe(account, amount: str, period: date = MARCH) -> None:
    """One month's charges: the account owes `amount`."""
    service, _ = Service.objects.get_or_create(
        code="electricity", defaults={"name": "Электроснабжение", "unit": "кВт·ч"}
    )
    Accrual.objects.create(account=account, period=period, service=service, volume=Decimal(100),
                           tariff=Decimal(1), amount=Decimal(amount))  # fmt: skip
    rebuild_balances(account)


def set_up(yookassa, customer, account, cap: str = "5000.00", day: int = 15) -> AutoPayment:
    autopayment = start_setup(user=customer, account=account, terms=Terms(day, Decimal(cap)), return_url=RETURN)
    yookassa.succeed(autopayment.setup_payment.acquirer_id)
    return settle_setup(autopayment)


def saved_charges(yookassa) -> list[dict]:
    return [body for (path, _), (body, _) in yookassa.keys.items() if "payment_method_id" in body]


def test_the_first_payment_saves_the_card_and_the_autopayment_works(db, yookassa, account, customer):
    owe(account, "1234.56")
    autopayment = start_setup(user=customer, account=account, terms=Terms(15, Decimal("5000")), return_url=RETURN)
    assert autopayment.status == AutoPayment.Status.SETUP
    body, _ = next(iter(yookassa.keys.values()))
    assert body["save_payment_method"] is True and body["confirmation"]["type"] == "redirect"
    assert body["amount"]["value"] == "1234.56", "the first payment is the debt, a real one"
    yookassa.succeed(autopayment.setup_payment.acquirer_id)
    autopayment = settle_setup(autopayment)
    assert autopayment.status == AutoPayment.Status.ACTIVE
    assert autopayment.method_id == autopayment.setup_payment.acquirer_id, "ЮKassa: the method's id is the payment's"
    assert autopayment.method_title == "Карта •••• 4242"
    assert autopayment.setup_payment.status == OnlinePayment.Status.SUCCEEDED
    actions = list(AuditEvent.objects.order_by("at", "pk").values_list("action", flat=True))
    assert actions == ["autopayment_setup", "autopayment_on"]


def test_a_failed_first_payment_leaves_no_autopayment(db, yookassa, account, customer):
    autopayment = start_setup(user=customer, account=account, terms=Terms(15, Decimal("5000")), return_url=RETURN)
    yookassa.cancel(autopayment.setup_payment.acquirer_id, "card_expired")
    autopayment = settle_setup(autopayment)
    assert autopayment.status == AutoPayment.Status.STOPPED and autopayment.stop_code == "setup_failed"
    assert "Срок действия карты истёк" in autopayment.stop_reason


def test_a_second_setup_is_refused_while_one_works(db, yookassa, account, customer):
    from kabinet.payments.errors import PaymentRefused

    set_up(yookassa, customer, account)
    with pytest.raises(PaymentRefused, match="уже подключён"):
        start_setup(user=customer, account=account, terms=Terms(15, Decimal("5000")), return_url=RETURN)


@pytest.mark.parametrize(
    ("today", "expected"),
    [(date(2026, 4, 10), date(2026, 4, 15)), (date(2026, 4, 15), date(2026, 4, 15)),
     (date(2026, 4, 16), date(2026, 5, 15)), (date(2026, 12, 20), date(2027, 1, 15))],
)  # fmt: skip
def test_the_next_charge_date(today, expected):
    assert next_charge_date(AutoPayment(day=15, cap=Decimal(1)), today) == expected


def test_on_the_day_the_bill_is_paid_in_full_and_the_customer_told(db, yookassa, account, customer, outbox):
    autopayment = set_up(yookassa, customer, account)
    owe(account, "2101.40")  # 1,00 ₽ of it paid by the first payment
    run(DAY - timedelta(days=1))  # the reminder
    told = len(outbox.messages())
    result = run(DAY)
    assert result.charged == 1 and result.settled == 0
    [body] = saved_charges(yookassa)
    assert body["payment_method_id"] == autopayment.method_id and "confirmation" not in body
    assert body["amount"] == {"value": "2100.40", "currency": "RUB"} and body["receipt"]["customer"]
    charge = autopayment.charges.get()
    assert charge.outcome == "succeeded" and charge.period == MARCH
    assert charge.payment.status == "succeeded" and charge.payment.ledger_entry.amount == Decimal("2100.40")
    assert account.balances.order_by("-period").first().closing == Decimal("0.00")
    assert [e.source for e in charge.payment.events.all()] == ["autopayment", "autopayment"]
    [sms] = outbox.messages()[told:]
    assert "оплачено 2\xa0100,40\xa0₽" in sms["text"] and "Карта •••• 4242" in sms["text"]


def test_a_bill_is_never_charged_twice(db, yookassa, account, customer, outbox):
    autopayment = set_up(yookassa, customer, account)
    owe(account, "700.00")
    run(DAY - timedelta(days=1))
    run(DAY)
    again = run(DAY)
    assert again.charged == 0 and again.already == 0, "paid: nothing owed any more"
    owe(account, "300.00", period=date(2026, 2, 1))  # an old correction: still the March bill
    assert run(DAY).already == 1
    assert len(saved_charges(yookassa)) == 1 and autopayment.charges.count() == 1


def test_the_payment_id_is_the_same_for_the_same_bill(db, yookassa, account, customer):
    """The Idempotence-Key is derived from the autopayment and the bill's month, so a lost
    answer re-sent (or a second worker) meets the same payment at ЮKassa."""
    import uuid

    from kabinet.payments.autocharge import KEYS

    autopayment = set_up(yookassa, customer, account)
    owe(account, "700.00")
    run(DAY - timedelta(days=1))
    run(DAY)
    payment = autopayment.charges.get().payment
    assert payment.public_id == uuid.uuid5(KEYS, f"autopayment:{autopayment.pk}:2026-03")
    assert [key for method, path, key in yookassa.requests if method == "POST"][-1] == str(payment.public_id)


def test_other_days_charge_nothing_and_the_day_before_reminds_once(db, yookassa, account, customer, outbox):
    set_up(yookassa, customer, account)
    owe(account, "701.00")
    outbox.messages()
    assert run(date(2026, 4, 14)).reminded == 1
    assert run(date(2026, 4, 14)).reminded == 0, "one reminder per charge day"
    assert not saved_charges(yookassa)
    [sms] = outbox.messages()
    assert sms["text"].startswith("15.04.2026 автоплатёж спишет 700,00\xa0₽ по лицевому счёту 660100000001")


def test_over_the_cap_nothing_is_charged_and_the_customer_pays_by_hand(db, yookassa, account, customer, outbox):
    autopayment = set_up(yookassa, customer, account, cap="1000.00")
    owe(account, "1001.01")
    outbox.messages()
    assert run(DAY).over_cap == 1 and run(DAY).over_cap == 0
    assert not saved_charges(yookassa)
    assert autopayment.charges.get().outcome == "over_cap"
    autopayment.refresh_from_db()
    assert autopayment.status == AutoPayment.Status.ACTIVE, "over the cap is not a failure"
    [sms] = outbox.messages()
    assert "больше лимита 1\xa0000,00\xa0₽" in sms["text"] and "Оплатите вручную" in sms["text"]


def test_nothing_owed_nothing_charged(db, yookassa, account, customer, outbox):
    set_up(yookassa, customer, account)
    owe(account, "500.00")
    owe(account, "-500.00", period=date(2026, 2, 1))  # a recalculation that cancels it
    assert run(DAY).nothing == 1 and not saved_charges(yookassa)


def test_a_failed_charge_stops_the_autopayment_and_says_what_to_do(db, yookassa, account, customer, outbox):
    autopayment = set_up(yookassa, customer, account)
    yookassa.declines[autopayment.method_id] = "insufficient_funds"
    owe(account, "901.00")
    run(DAY - timedelta(days=1))
    told = len(outbox.messages())
    result = run(DAY)
    assert result.failed == [autopayment.pk]
    autopayment.refresh_from_db()
    assert autopayment.status == AutoPayment.Status.STOPPED and autopayment.stop_code == "charge_failed"
    assert autopayment.method_id == ""
    assert "Недостаточно денег" in autopayment.stop_reason
    assert "Оплатите вручную и подключите автоплатёж заново" in autopayment.stop_reason
    [sms] = outbox.messages()[told:]
    assert "не удалось списать 900,00\xa0₽" in sms["text"] and "подключите автоплатёж заново" in sms["text"]
    assert AuditEvent.objects.filter(action="autopayment_stopped", details__reason="charge_failed").exists()
    assert run(date(2026, 5, 15)).charged == 0, "a stopped autopayment never charges"


def test_switching_off_forgets_the_card_and_nothing_is_charged_again(db, yookassa, account, customer):
    """ЮKassa's API has no call that deletes a saved method: switching off forgets its id here,
    and the acquirer is never asked to charge it again."""
    autopayment = set_up(yookassa, customer, account)
    method_id = autopayment.method_id
    switch_off(autopayment, user=customer)
    autopayment.refresh_from_db()
    assert autopayment.status == AutoPayment.Status.STOPPED and autopayment.stop_code == "customer"
    assert autopayment.method_id == ""
    assert not AutoPayment.objects.filter(method_id=method_id).exists()
    owe(account, "900.00")
    requests_before = len(yookassa.requests)
    run(DAY)
    assert len(yookassa.requests) == requests_before and yookassa.charges_of(method_id) == []
    assert AuditEvent.objects.filter(action="autopayment_off", user=customer).exists()


def test_an_account_removed_from_the_profile_is_not_charged(db, yookassa, account, customer):
    autopayment = set_up(yookassa, customer, account)
    owe(account, "900.00")
    customer.account_links.all().delete()
    run(DAY)
    autopayment.refresh_from_db()
    assert autopayment.status == AutoPayment.Status.STOPPED and not saved_charges(yookassa)


def test_switched_off_between_the_decision_and_the_request_nothing_is_charged(db, yookassa, account, customer):
    """The decision's lock is released before the request: the request re-reads the
    autopayment under its lock and sends nothing for one switched off meanwhile."""
    from kabinet.payments.autocharge import Run, _decide, _send

    autopayment = set_up(yookassa, customer, account)
    owe(account, "900.00")
    run(DAY - timedelta(days=1))  # the reminder
    made = _decide(autopayment.pk, Run(), DAY)
    assert made.outcome == "charging"
    switch_off(autopayment, user=customer)
    _send(made)
    made.refresh_from_db()
    assert not saved_charges(yookassa)
    assert made.outcome == "not_sent" and made.reported_at is not None
    assert made.payment.status == "canceled"


def test_a_charge_without_an_answer_is_asked_again_under_its_key_and_reported_once_known(
    db, yookassa, account, customer, outbox
):
    """The request timed out, yet ЮKassa charged the card: the charge is not recorded as
    failed; refresh_pending sends the same request under the same key, ЮKassa answers with
    the payment it made, and the next run reports it paid. One charge at ЮKassa."""
    from django.utils import timezone

    from kabinet.payments.refresh import refresh_pending
    from kabinet.payments.services import start_payment

    autopayment = set_up(yookassa, customer, account)
    owe(account, "900.00")
    run(DAY - timedelta(days=1))
    told = len(outbox.messages())  # the reminder
    yookassa.script = [("slow", 1.0)] * 3  # served, then every answer came after the client gave up
    result = run(DAY)
    assert result.failed == []
    charge = autopayment.charges.get()
    assert charge.outcome == "charging" and charge.payment.status == "new" and charge.reported_at is None
    autopayment.refresh_from_db()
    assert autopayment.status == "active" and len(outbox.messages()) == told
    assert run(DAY).failed == [] and autopayment.charges.get().outcome == "charging", "still unknown"
    by_hand = start_payment(user=customer, account=account, amount=Decimal("899.00"), method="bank_card",
                            receipt_phone=customer.phone, return_url=RETURN)  # fmt: skip
    assert by_hand != charge.payment and by_hand.confirmation_url, "not taken for a second press of the charge"
    OnlinePayment.objects.filter(pk=charge.payment_id).update(created_at=timezone.now() - timedelta(minutes=5))
    refresh_pending()
    run(DAY)
    charge.refresh_from_db()
    assert charge.outcome == "succeeded" and charge.payment.status == "succeeded"
    assert len(yookassa.charges_of(autopayment.method_id)) == 1
    sent = [key for method, _, key in yookassa.requests if method == "POST" and key == str(charge.payment.public_id)]
    assert len(sent) == 4, "three attempts unanswered, then the same request again under the same key"
    [sms] = outbox.messages()[told:]
    assert "оплачено 899,00" in sms["text"]


def pay_by_hand(customer, account, amount: str) -> OnlinePayment:
    from kabinet.payments.services import start_payment

    return start_payment(user=customer, account=account, amount=Decimal(amount), method="sbp",
                         receipt_phone=customer.phone, return_url=RETURN)  # fmt: skip


def test_a_payment_by_hand_that_kabinet_has_not_heard_of_yet_is_not_paid_again(db, yookassa, account, customer):
    """The customer paid by hand the evening before; the notification is lost. The run asks
    about the account's payments in progress first: the debt is paid, nothing is charged."""
    autopayment = set_up(yookassa, customer, account)
    owe(account, "900.00")
    run(DAY - timedelta(days=1))
    yookassa.succeed(pay_by_hand(customer, account, "899.00").acquirer_id)
    result = run(DAY)
    assert result.nothing == 1 and not saved_charges(yookassa) and not autopayment.charges.exists()


def test_a_payment_by_hand_still_in_progress_puts_the_charge_off_to_the_next_day(db, yookassa, account, customer):
    autopayment = set_up(yookassa, customer, account)
    owe(account, "900.00")
    run(DAY - timedelta(days=1))
    by_hand = pay_by_hand(customer, account, "500.00")
    result = run(DAY)
    assert result.deferred == 1 and not saved_charges(yookassa) and not autopayment.charges.exists()
    yookassa.cancel(by_hand.acquirer_id)  # the customer left the bank's page
    assert run(DAY + timedelta(days=1)).charged == 1
    [body] = saved_charges(yookassa)
    assert body["amount"]["value"] == "899.00"


def test_a_payment_by_hand_that_succeeded_lowers_the_charge(db, yookassa, account, customer):
    autopayment = set_up(yookassa, customer, account)
    owe(account, "900.00")
    run(DAY - timedelta(days=1))
    yookassa.succeed(pay_by_hand(customer, account, "500.00").acquirer_id)
    run(DAY)
    [body] = saved_charges(yookassa)
    assert body["amount"]["value"] == "399.00" and autopayment.charges.get().amount == Decimal("399.00")


def test_no_charge_without_a_reminder_on_an_earlier_day(db, yookassa, account, customer, outbox):
    """The reminder did not go out the day before (the run did not happen, the debt appeared
    that day): the run reminds now and charges the next day."""
    autopayment = set_up(yookassa, customer, account)
    owe(account, "900.00")
    result = run(DAY)
    assert result.charged == 0 and result.reminded == 1 and result.deferred == 1 and not saved_charges(yookassa)
    [sms] = outbox.messages()
    assert sms["text"].startswith("16.04.2026 автоплатёж спишет 899,00")
    assert run(DAY).charged == 0, "the same day again: still not a day after the reminder"
    assert run(DAY + timedelta(days=1)).charged == 1
    assert autopayment.charges.get().outcome == "succeeded"


def test_a_reminder_about_another_bill_does_not_count(db, yookassa, account, customer, outbox):
    autopayment = set_up(yookassa, customer, account)
    owe(account, "900.00", period=date(2026, 2, 1))
    run(DAY - timedelta(days=1))  # reminded about February's bill
    owe(account, "100.00")  # March's bill is issued on the day
    assert run(DAY).charged == 0 and not saved_charges(yookassa)
    autopayment.refresh_from_db()
    assert autopayment.reminded_period == MARCH


def test_on_the_last_catch_up_day_nothing_is_announced_that_will_not_be_made(db, yookassa, account, customer, outbox):
    set_up(yookassa, customer, account)
    owe(account, "900.00")
    result = run(DAY + timedelta(days=CATCH_UP_DAYS))
    assert result.deferred == 1 and result.reminded == 0 and not outbox.messages()
    assert run(DAY + timedelta(days=CATCH_UP_DAYS + 1)).charged == 0, "past the window: next month"


def test_the_company_maximum_lowered_below_the_cap_is_what_the_reminder_and_the_charge_use(
    db, yookassa, account, customer, outbox, settings
):
    autopayment = set_up(yookassa, customer, account, cap="5000.00")
    owe(account, "900.00")
    settings.KABINET_PAYMENT_MAX = Decimal("800.00")
    run(DAY - timedelta(days=1))
    assert run(DAY).over_cap == 1 and not saved_charges(yookassa)
    reminder, over = outbox.messages()
    assert "больше лимита 800,00\xa0₽" in reminder["text"] and "автоплатёж спишет" not in reminder["text"]
    assert "больше лимита 800,00\xa0₽" in over["text"]
    assert autopayment.charges.get().outcome == "over_cap"


def test_a_closed_account_or_less_than_the_minimum_is_neither_announced_nor_charged(
    db, yookassa, account, customer, outbox
):
    set_up(yookassa, customer, account)
    owe(account, "1.50")  # 0,50 ₽ owed, under the minimum payment of 1,00 ₽
    assert run(DAY - timedelta(days=1)).reminded == 0 and run(DAY).nothing == 1
    owe(account, "900.00", period=date(2026, 2, 1))
    account.status = account.Status.CLOSED
    account.save(update_fields=["status"])
    assert run(date(2026, 5, 14)).reminded == 0 and run(date(2026, 5, 15)).nothing == 1
    assert not outbox.messages() and not saved_charges(yookassa)


def test_a_setup_failure_found_in_the_background_is_told(db, yookassa, account, customer, outbox):
    from kabinet.payments.autopayments import settle_setups

    autopayment = start_setup(user=customer, account=account, terms=Terms(15, Decimal("5000")), return_url=RETURN)
    yookassa.cancel(autopayment.setup_payment.acquirer_id, "card_expired")
    assert settle_setups() == 1
    [sms] = outbox.messages()
    assert sms["text"].startswith("Автоплатёж по лицевому счёту 660100000001 не подключён. Первый платёж не прошёл.")
    assert "Срок действия карты истёк" in sms["text"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_charge_once(yookassa, account, customer, outbox):
    """Two workers start the day's run together (real row locks, separate connections): one
    AutoCharge, one request that charges the card, one message."""
    autopayment = set_up(yookassa, customer, account)
    owe(account, "900.00")
    run(DAY - timedelta(days=1))
    told = len(outbox.messages())
    results = in_threads(4, lambda i: run(DAY))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.charged for r in results) == 1
    assert len(yookassa.charges_of(autopayment.method_id)) == 1 and autopayment.charges.count() == 1
    assert autopayment.charges.get().outcome == "succeeded"
    assert len(outbox.messages()) == told + 1
