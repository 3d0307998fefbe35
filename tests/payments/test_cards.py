"""What an account's card shows of online payments (payments.cards): a payment is «в обработке»
by one rule, on the home page's cards and on a page about the account alike."""

from datetime import date
from decimal import Decimal

from django.http import Http404
import pytest

from kabinet.billing.access import customer_account
from kabinet.billing.models import MonthBalance
from kabinet.payments.autopay_models import AutoPayment
from kabinet.payments.autopayments import autopayment_of, first_payment_amount
from kabinet.payments.cards import customer_account_card, customer_cards, customer_paying_account
from kabinet.payments.models import OnlinePayment
from kabinet.payments.services import in_progress, suggested_amount
from tests.factories import make_customer, make_online_payment


@pytest.mark.parametrize("status", OnlinePayment.Status.values)
def test_a_payment_is_in_progress_by_one_rule_everywhere(account, customer, status):
    payment = make_online_payment(account, "100.00", status=status)
    expected = [payment] if status not in OnlinePayment.FINAL else []
    assert customer_account_card(customer, account.pk).in_progress == expected
    assert customer_cards(customer, date(2026, 11, 30)).in_progress == {account.pk: expected}


def test_a_card_is_of_the_same_account_the_customer_may_see(account, customer):
    stranger = make_customer("+79120000099")
    assert customer_account_card(customer, account.pk).account == customer_account(customer, account.pk)
    with pytest.raises(Http404):
        customer_account_card(stranger, account.pk)
    with pytest.raises(Http404):
        customer_account(stranger, account.pk)


# --- «Оплатить» and «Автоплатёж» read the account with what paying it needs -----------------
def balance(account, period: str, opening: str, accrued: str, paid: str) -> None:
    opening_, accrued_, paid_ = Decimal(opening), Decimal(accrued), Decimal(paid)
    MonthBalance.objects.create(account=account, period=date.fromisoformat(period), opening=opening_,
                                accrued=accrued_, paid=paid_, closing=opening_ + accrued_ - paid_)  # fmt: skip


# Each history: the months' (opening, accrued, paid) from September 2026 on.
HISTORIES = {
    "none": [],
    "debt": [("0", "1200.50", "0"), ("1200.50", "0", "200")],
    "overpaid, the latest bill before": [("0", "900", "900"), ("0", "1200.50", "3000"), ("-1799.50", "0", "0")],
    "settled, never billed": [("0", "0", "0")],
    "above the limit": [("0", "999999.99", "0")],
    "a kopeck": [("0", "0.01", "0")],
}


@pytest.mark.parametrize("history", HISTORIES)
def test_the_paying_account_suggests_what_suggested_amount_does(account, customer, history, settings):
    settings.KABINET_PAYMENT_MIN = Decimal("10.00")
    for n, values in enumerate(HISTORIES[history]):
        balance(account, f"2026-{9 + n:02d}-01", *values)
    paying = customer_paying_account(customer, account.pk)
    assert paying.account == customer_account(customer, account.pk)
    assert paying.suggested_amount == suggested_amount(account) == first_payment_amount(account)


def test_every_payment_status_is_open_or_final():
    # PayingAccount.in_progress reads `in_progress` (open) when `with_card_flags` (not final) says so.
    assert set(OnlinePayment.Status.values) == OnlinePayment.OPEN | OnlinePayment.FINAL
    assert not OnlinePayment.OPEN & OnlinePayment.FINAL


@pytest.mark.parametrize("status", OnlinePayment.Status.values)
def test_the_paying_accounts_payments_in_progress_are_in_progress(account, customer, status):
    make_online_payment(account, "100.00", status=status)
    make_online_payment(account, "200.00", status="pending")
    assert customer_paying_account(customer, account.pk).in_progress() == list(in_progress(account))


def test_the_paying_accounts_autopayment_is_the_customers_own(account, customer, sverdlovsk):
    other = make_customer("+79120000098")  # the account's former holder
    assert customer_paying_account(customer, account.pk).autopayment() is None
    AutoPayment.objects.create(account=account, user=other, status="stopped", day=15, cap=Decimal("5000.00"))
    assert customer_paying_account(customer, account.pk).autopayment() is None
    for status in ("stopped", "active"):
        AutoPayment.objects.create(account=account, user=customer, status=status, day=15, cap=Decimal("5000.00"))
        found = customer_paying_account(customer, account.pk).autopayment()
        assert found == autopayment_of(account, customer) and found.status == status


def test_a_paying_account_is_one_the_customer_may_see(account, customer, django_assert_num_queries):
    with django_assert_num_queries(1):
        customer_paying_account(customer, account.pk)
    with pytest.raises(Http404):
        customer_paying_account(make_customer("+79120000099"), account.pk)
