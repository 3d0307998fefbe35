"""What an account's card shows of online payments (payments.cards): a payment is «в обработке»
by one rule, on the home page's cards and on a page about the account alike."""

from datetime import date

from django.http import Http404
import pytest

from kabinet.billing.access import customer_account
from kabinet.payments.cards import customer_account_card, customer_cards
from kabinet.payments.models import OnlinePayment
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
