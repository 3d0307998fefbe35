"""No customer reaches another's data: every customer URL that takes an id answers 404 for
another customer's object. New id-taking URLs must be added to OWNED below, or this fails."""

from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
import pytest

from tests.factories import (
    api_token,
    customer_login,
    id_patterns,
    make_account,
    make_complaint,
    make_customer,
    redirected_to,
)


def billed_month(account) -> date:
    """Last month, with an accrual: the account has a bill for it."""
    from kabinet.billing.models import Accrual, Service

    period = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    service, _ = Service.objects.get_or_create(
        code="electricity", defaults={"name": "Электроснабжение", "unit": "кВт·ч"}
    )
    Accrual.objects.create(account=account, period=period, service=service, volume=Decimal("100"),
                           tariff=Decimal("5.82"), amount=Decimal("582.00"))  # fmt: skip
    return period


def online_payment(account):
    """An online payment into the account (pending, as after «Перейти к оплате»)."""
    from kabinet.payments.models import OnlinePayment

    return OnlinePayment.objects.create(account=account, amount=Decimal("100.00"), method="bank_card",
                                        status="pending", receipt_email="boris@example.ru")  # fmt: skip


def owned_by(other, reason) -> dict:
    """URL keyword → the id of an object that belongs to the *other* customer."""
    # A complaint: an appeal with its PDF too (portal:complaint_pdf).
    appeal = make_complaint(other, other.account_links.get().account, files=1)
    return {
        "payment_id": online_payment(other.account_links.get().account).public_id,
        "link_id": other.account_links.get().pk,
        "number": appeal.number,
        "attachment_id": appeal.attachments.get().pk,
        "account_id": other.account_links.get().account_id,
        "period": billed_month(other.account_links.get().account),  # with account_id: the other's bill
        "token_id": personal_token_id(other),
    }


def personal_token_id(user) -> int:
    from kabinet.identity.models import PersonalAccessToken

    api_token(user)
    return PersonalAccessToken.objects.filter(user=user).latest("pk").pk


OWNED = {"link_id", "number", "attachment_id", "account_id", "period", "payment_id", "token_id"}


ID_PATTERNS = id_patterns("portal")


def test_every_id_taking_url_is_covered():
    uncovered = [name for name, kwargs in ID_PATTERNS if not kwargs <= OWNED]
    assert uncovered == [], "add these URL keywords to OWNED so the isolation test covers them"
    assert ID_PATTERNS, "the walk found the customer URLs with ids"


@pytest.mark.parametrize(("name", "kwargs"), ID_PATTERNS, ids=[name for name, _ in ID_PATTERNS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_customers_id_is_404(client, customer, sverdlovsk, reason, name, kwargs, method):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", flat="7"), first_name="Борис")
    ids = owned_by(other, reason)
    url = reverse(name, kwargs={key: ids[key] for key in kwargs})
    customer_login(client, customer)
    stranger = getattr(client, method)(url).status_code
    customer_login(client, other)
    reached = getattr(client, method)(url)
    owner = reached.status_code
    if owner == 405:  # the method is not allowed for anyone: says nothing about the object
        assert stranger == 405
    else:
        # 503: the owner reached the pay form, but no acquirer is configured in the tests.
        assert owner in {200, 302, 400, 503}, "the owner reaches it: the 404 is about ownership"
        assert not redirected_to(reached).startswith(reverse("portal:login")), "a redirect, but not to log in"
        assert stranger == 404
