"""Registration numbers «66-2026-000001»: per region and year, in sequence, without gaps, unique
under concurrent submissions (on SQLite and on PostgreSQL)."""

import re

from django.db import transaction
from django.utils import timezone
import pytest

from kabinet.appeals.models import Appeal, NumberCounter
from kabinet.appeals.numbering import next_number
from tests.factories import in_threads, make_account, make_appeal, make_customer


def numbers(region, year, count):
    with transaction.atomic():
        return [next_number(region, year) for _ in range(count)]


def test_number_format_and_sequence(sverdlovsk):
    assert numbers(sverdlovsk, 2026, 3) == ["66-2026-000001", "66-2026-000002", "66-2026-000003"]
    assert NumberCounter.objects.get(region=sverdlovsk, year=2026).last == 3


def test_separate_sequences_per_region_and_year(sverdlovsk, perm):
    assert numbers(sverdlovsk, 2026, 2) == ["66-2026-000001", "66-2026-000002"]
    assert numbers(perm, 2026, 1) == ["59-2026-000001"]
    assert numbers(sverdlovsk, 2027, 1) == ["66-2027-000001"]
    assert numbers(sverdlovsk, 2026, 1) == ["66-2026-000003"]
    assert numbers(perm, 2026, 1) == ["59-2026-000002"]


def test_submitted_appeals_are_numbered_per_region(sverdlovsk, perm, customer, account, reason):
    perm_account = make_account(perm, "5901000001")
    perm_customer = make_customer("+79120000059", perm_account)
    year = timezone.localdate().year
    first = make_appeal(customer, account, reason)
    in_perm = make_appeal(perm_customer, perm_account, reason)
    second = make_appeal(customer, account, reason)
    assert first.number == f"66-{year}-000001"
    assert re.fullmatch(r"66-\d{4}-\d{6}", first.number)
    assert in_perm.number == f"59-{year}-000001"
    assert in_perm.region == perm
    assert second.number == f"66-{year}-000002"


def test_rolled_back_transaction_gives_its_number_back(sverdlovsk):
    assert numbers(sverdlovsk, 2026, 1) == ["66-2026-000001"]
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        assert next_number(sverdlovsk, 2026) == "66-2026-000002"
        1 / 0  # noqa: B018
    assert numbers(sverdlovsk, 2026, 1) == ["66-2026-000002"]


def test_rollback_of_the_first_number_of_a_year_leaves_no_counter(sverdlovsk):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        next_number(sverdlovsk, 2031)
        1 / 0  # noqa: B018
    assert not NumberCounter.objects.filter(year=2031).exists()
    assert numbers(sverdlovsk, 2031, 1) == ["66-2031-000001"]


@pytest.mark.django_db(transaction=True)
def test_next_number_outside_a_transaction_raises(sverdlovsk):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number(sverdlovsk, 2026)
    assert not NumberCounter.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_numbers_1_to_40_without_gaps(sverdlovsk, reason):
    threads, each = 8, 5
    people = []
    for i in range(threads):
        account = make_account(sverdlovsk, f"66020000000{i}", flat=str(i + 1))
        people.append((make_customer(f"+7912100000{i}", account), account))

    def submit(i):
        customer, account = people[i]
        return [make_appeal(customer, account, reason, files=1).number for _ in range(each)]

    results = in_threads(threads, submit)

    assert [r for r in results if isinstance(r, Exception)] == []
    got = sorted(n for batch in results for n in batch)
    year = timezone.localdate().year
    assert got == [f"66-{year}-{n:06d}" for n in range(1, threads * each + 1)]
    assert Appeal.objects.count() == threads * each
    assert NumberCounter.objects.get(region=sverdlovsk, year=year).last == threads * each
    # Each thread's own appeals were numbered in the order it submitted them.
    assert all(batch == sorted(batch) for batch in results)
