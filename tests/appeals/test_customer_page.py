"""«Мои обращения» a page at a time (appeals.services.customer_appeal_page): the page Django's
paginator would give for any page asked, in one query when the page exists, compiled once a
process (core.compiled) for every customer, page and status."""

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Window
from django.test.utils import CaptureQueriesContext
import pytest

from kabinet.appeals import services
from kabinet.appeals.models import Appeal, Status
from kabinet.appeals.services import customer_appeal_page, customer_appeals
from tests.factories import make_appeal, make_customer, orm_compilations

PER_PAGE = 2


def paginators_page(customer, status: str, number, per_page: int = PER_PAGE):
    appeals = customer_appeals(customer)
    return Paginator(appeals.filter(status=status) if status else appeals, per_page).get_page(number)


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


@pytest.mark.parametrize("status", ["", Status.ANSWERED, Status.CLOSED])
@pytest.mark.parametrize("number", ["1", "2"])
def test_a_customer_without_appeals(customer, status, number):
    assert shown(customer_appeal_page(customer, status, number, PER_PAGE)) == shown(
        paginators_page(customer, status, number)
    )
    assert shown(customer_appeal_page(customer, status, number, PER_PAGE))[1:3] == ([], 0)


@pytest.mark.parametrize("status", ["", Status.ANSWERED, Status.NEW])
def test_the_compiled_rows_are_the_querysets_slice(customer, five, status):
    """Each window of rows (ROW_NUMBER() between two parameters) as the slice the ORM would cut,
    the total with each row: before the first, across and past the last."""
    appeals = customer_appeals(customer).filter(status=status) if status else customer_appeals(customer)
    for after, last in ((0, 1), (0, 2), (1, 3), (2, 5), (3, 4), (4, 9), (5, 7), (0, 100)):
        if status:
            got = services._STATUS_PAGE.instances(customer.pk, status, after, last)
        else:
            got = services._PAGE.instances(customer.pk, after, last)
        expected = list(appeals.annotate(listed=Window(Count("pk")))[after:last])
        assert [(a.pk, a.listed, a.topic.name, a.reason.name, a.account.number) for a in got] == [
            (a.pk, a.listed, a.topic.name, a.reason.name, a.account.number) for a in expected
        ], (after, last)


def test_no_page_compiles_sql_after_the_first_of_its_shape(customer, five):
    """The rows' statement is compiled once with and once without the status filter: pages,
    statuses, page sizes and customers after those compile nothing and read once."""
    other = make_customer("+79120000009")
    Appeal.objects.filter(pk=five[1].pk).update(customer=other)
    customer_appeal_page(customer, "", "1", PER_PAGE)
    customer_appeal_page(customer, Status.ANSWERED, "1", PER_PAGE)
    asked = [
        (customer, "", "2", PER_PAGE),
        (customer, "", "1", 3),
        (customer, Status.ANSWERED, "1", 1),
        (customer, Status.NEW, "2", 1),
        (customer, Status.CLOSED, "1", PER_PAGE),  # none in it: an empty first page
        (other, "", "1", PER_PAGE),
        (other, Status.NEW, "1", PER_PAGE),
    ]
    with orm_compilations() as compiled, CaptureQueriesContext(connection) as queries:
        pages = [customer_appeal_page(*arguments) for arguments in asked]
    assert compiled == [] and len(queries) == len(asked)
    for page, (who, status, number, per_page) in zip(pages, asked, strict=True):
        assert shown(page) == shown(paginators_page(who, status, number, per_page))
    assert [len(page) for page in pages] == [2, 3, 1, 1, 0, 1, 1]
    assert len(services._PAGE._local.prepared) == len(services._STATUS_PAGE._local.prepared) == 1
