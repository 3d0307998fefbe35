"""A customer's pages take the same queries however many accounts the branch holds: login by
account number, home, «Начисления и платежи» and «Передать показания» (issue 12; their time
with a million accounts is what bench/pages_scale.py prints)."""

from datetime import UTC, date, datetime
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
import pytest

from kabinet.billing import registry
from kabinet.billing.balances import rebuild_balances_of
from kabinet.billing.models import Accrual, Payment, PersonalAccount, Premises
from kabinet.identity.models import AccountLink, User
from kabinet.readings.models import Meter, Reading
from tests.factories import accrue, billed_services, make_meter, monthly, post_login

PERIODS = (date(2026, 9, 1), date(2026, 10, 1))
TAKEN = datetime(2026, 10, 20, 19, 0, tzinfo=UTC)


def grow_branch(region, upto: int) -> None:
    """Other accounts in the region up to `upto`, each as full as the customer's: a holder, a
    meter with readings, two billed months, a payment."""
    s = billed_services()
    have = PersonalAccount.objects.filter(region=region).count()
    premises = Premises.objects.bulk_create(
        Premises(region=region, city="Екатеринбург", street="ул. Ленина", house=str(n), flat="1")
        for n in range(have, upto)
    )
    accounts = PersonalAccount.objects.bulk_create(
        PersonalAccount(region=region, number=f"6602{n:08d}", premises=p)
        for n, p in zip(range(have, upto), premises, strict=True)
    )
    users = User.objects.bulk_create(User(phone=f"+7913{n:07d}", password="!") for n in range(have, upto))
    AccountLink.objects.bulk_create(AccountLink(user=u, account=a) for u, a in zip(users, accounts, strict=True))
    meters = Meter.objects.bulk_create(
        Meter(account=a, service=s["electricity"], serial=f"S{a.number}", zones=1, digits=6,
              installed_on=date(2020, 3, 1), verification_due=date(2032, 3, 1))
        for a in accounts
    )  # fmt: skip
    Reading.objects.bulk_create(
        Reading(meter=m, period=p, source=Reading.Source.PORTAL, taken_at=TAKEN, t1=100 + i)
        for m in meters
        for i, p in enumerate(PERIODS)
    )
    Accrual.objects.bulk_create(
        Accrual(account=a, period=p, service=s["electricity"], zone="", volume=Decimal("150"),
                tariff=Decimal("6.7100"), amount=Decimal("1006.50"))
        for a in accounts
        for p in PERIODS
    )  # fmt: skip
    Payment.objects.bulk_create(
        Payment(account=a, paid_on=date(2026, 10, 5), amount=Decimal("1000.00"), channel="online") for a in accounts
    )
    rebuild_balances_of(a.pk for a in accounts)


@pytest.fixture
def anna(customer, account):
    """The customer with a meter, readings and two billed months, like every other account."""
    meter = make_meter(account)
    monthly(meter, (1000,), (150,), months=3)
    for period in PERIODS:
        accrue(account, period)
    Payment.objects.create(account=account, paid_on=date(2026, 10, 5), amount=Decimal("1000.00"), channel="online")
    rebuild_balances_of([account.pk])
    return customer


def page_queries(region, account) -> dict[str, int]:
    """Queries of each page for a new visitor who logs in by account number and opens them, each
    time from the same start: nothing cached (a page drawn from the cache reads less on
    PostgreSQL) and the footer's contacts read afresh before the count, not at a recheck that
    falls inside one page or another depending on how fast the machine is."""
    cache.clear()
    registry.forget_contacts()
    client = Client()
    client.get(reverse("portal:consent"))  # the footer's contacts: read once per process, not per page
    counts = {}
    with CaptureQueriesContext(connection) as login:
        response = post_login(client, account.number, region=region)
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    counts["login"] = len(login)
    for page, url in (
        ("home", reverse("portal:home")),
        ("charges", reverse("portal:account", args=[account.pk])),
        ("readings", reverse("portal:readings", args=[account.pk])),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, page
        counts[page] = len(queries)
    return counts


def test_pages_take_the_same_queries_with_5_or_50_accounts_in_the_branch(anna, account, sverdlovsk):
    grow_branch(sverdlovsk, 5)
    small = page_queries(sverdlovsk, account)
    grow_branch(sverdlovsk, 50)
    assert PersonalAccount.objects.filter(region=sverdlovsk).count() == 50
    assert page_queries(sverdlovsk, account) == small
