"""Rules that must hold under concurrency, on SQLite and on PostgreSQL (.ci/run runs both):
registration numbers unique and gap-free; of two operators taking an appeal, exactly one wins."""

from concurrent.futures import ThreadPoolExecutor
import threading

from django.db import connection
from django.utils import timezone
import pytest

from kabinet.appeals import operators
from kabinet.appeals.models import Appeal, Event, StaffRole
from kabinet.appeals.operators import AlreadyTaken
from tests.backoffice.conftest import make_staff
from tests.conftest import make_account, make_appeal, make_customer

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(count: int, work):
    """Run `work(i)` in `count` threads released at the same moment; return results or errors."""
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait()
            return work(i)
        except Exception as exc:  # collected: the test decides what is expected
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_submissions_get_unique_gap_free_numbers(sverdlovsk, reason):
    customers = [
        (c, a) for c, a in ((make_customer(f"+7912000010{i}", acc), acc) for i, acc in
                            enumerate(make_account(sverdlovsk, f"66010000010{i}", flat=str(i)) for i in range(6)))
    ]  # fmt: skip

    def submit(i):
        customer, account = customers[i]
        return [make_appeal(customer, account, reason, files=1).number for _ in range(4)]

    results = in_threads(6, submit)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    numbers = sorted(n for batch in results for n in batch)
    year = timezone.localdate().year
    assert numbers == [f"66-{year}-{n:06d}" for n in range(1, 25)]
    assert Appeal.objects.count() == 24


def test_two_operators_take_one_appeal_exactly_one_wins(sverdlovsk, customer, account, reason):
    appeal = make_appeal(customer, account, reason, files=0)
    staff = [make_staff(f"op{i}@example.ru", StaffRole.Role.OPERATOR, sverdlovsk, first_name=f"Оператор{i}")
             for i in range(4)]  # fmt: skip

    results = in_threads(4, lambda i: operators.take(staff[i], appeal.pk))

    winners = [r for r in results if isinstance(r, Appeal)]
    losers = [r for r in results if isinstance(r, AlreadyTaken)]
    assert len(winners) == 1 and len(losers) == 3, results
    appeal.refresh_from_db()
    assert all(loser.assignee == appeal.assignee for loser in losers)
    assert appeal.events.filter(kind=Event.Kind.ASSIGNED).count() == 1
    assert appeal.events.filter(kind=Event.Kind.STATUS).count() == 1
