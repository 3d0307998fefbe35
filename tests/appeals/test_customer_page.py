"""«Мои обращения» a page at a time (appeals.services.customer_appeal_page): the page Django's
paginator would give for any page asked, in one query when the page exists."""

from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
import pytest

from kabinet.appeals.models import Appeal, Status
from kabinet.appeals.services import customer_appeal_page, customer_appeals
from tests.factories import make_appeal, make_customer

PER_PAGE = 2


def paginators_page(customer, status: str, number):
    appeals = customer_appeals(customer)
    return Paginator(appeals.filter(status=status) if status else appeals, PER_PAGE).get_page(number)


def shown(page) -> tuple:
    return (page.number, [a.pk for a in page.object_list], page.paginator.count, page.paginator.num_pages)


@pytest.fixture
def five(customer, account, reason):
    appeals = [make_appeal(customer, account, reason, files=0) for _ in range(5)]
    Appeal.objects.filter(pk__in=[appeals[0].pk, appeals[3].pk]).update(status=Status.ANSWERED)
    return appeals


@pytest.mark.parametrize("number", [None, "", "1", "2", "3", "4", "99", "0", "-1", "abc", "2.5", "10000000000"])
@pytest.mark.parametrize("status", ["", Status.ANSWERED, Status.CLOSED])
def test_the_page_the_paginator_gives(customer, five, number, status):
    assert shown(customer_appeal_page(customer, status, number, PER_PAGE)) == shown(
        paginators_page(customer, status, number)
    )


def test_an_existing_page_is_one_query(customer, five):
    with CaptureQueriesContext(connection) as queries:
        page = customer_appeal_page(customer, "", "2", PER_PAGE)
        assert page.has_next() and page.has_previous() and page.paginator.num_pages == 3
    assert len(queries) == 1


def test_only_the_customers_own(customer, five, account, sverdlovsk):
    other = make_customer("+79120000009")
    assert shown(customer_appeal_page(other, "", "1", PER_PAGE))[1:3] == ([], 0)
