"""core.prepared: a queryset compiled once gives, for any ids and dates, the rows the queryset
itself would give — with its select_related objects and annotations, and no query more."""

from datetime import date

from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
import pytest

from kabinet.billing.access import customer_accounts
from kabinet.billing.models import PersonalAccount
from kabinet.core.prepared import Prepared
from tests.factories import PERM, make_account, make_customer, make_region


@pytest.fixture
def holders(sverdlovsk):
    perm = make_region(PERM, is_default=False)
    anna = make_customer("+79120000001", make_account(sverdlovsk, "660100000001"))
    boris = make_customer("+79120000002", make_account(perm, "590100000002", house="7"))
    return anna, boris


def fields(accounts) -> list[tuple]:
    return [(a.pk, a.number, a.region.name, a.premises.address, getattr(a, "links", None)) for a in accounts]


def test_the_rows_of_the_queryset_for_each_id(holders):
    built = []

    def build(user):
        built.append(user)
        return customer_accounts(user).annotate(links=Count("link"))

    prepared = Prepared(build)
    for user in [*holders, *holders]:
        with CaptureQueriesContext(connection) as queries:
            rows = prepared(user=user.pk)
        assert fields(rows) == fields(customer_accounts(user).annotate(links=Count("link")))
        assert len(rows) == 1 and len(queries) == 1  # region and premises came with the row
    assert len(built) == 1  # compiled once


def test_several_ids_and_a_miss(holders):
    anna, boris = holders
    prepared = Prepared(lambda user, account: customer_accounts(user).filter(pk=account))
    mine = customer_accounts(anna).get()
    assert prepared(user=anna.pk, account=mine.pk) == [mine]
    assert prepared(user=boris.pk, account=mine.pk) == []


def test_dates(holders):
    anna, _ = holders
    PersonalAccount.objects.filter(link__user=anna).update(closed_on=date(2026, 5, 10))
    prepared = Prepared(lambda user, day: customer_accounts(user).filter(closed_on__gte=day), dates=["day"])
    assert len(prepared(user=anna.pk, day=date(2026, 5, 10))) == 1
    assert prepared(user=anna.pk, day=date(2026, 5, 11)) == []


def test_a_value_the_statement_does_not_take_is_refused(holders):
    """One that would not reach the statement's parameters (unused, or inlined into its text)."""
    prepared = Prepared(lambda user, account: customer_accounts(user))
    with pytest.raises(ValueError, match="account"):
        prepared(user=holders[0].pk, account=1)
