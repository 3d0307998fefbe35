"""Back-office staff of the appeals tests, and a helper that runs work in threads at once."""

from concurrent.futures import ThreadPoolExecutor
import threading

from django.db import connection
import pytest

from kabinet.appeals.models import StaffRole
from tests.backoffice.conftest import make_staff


def in_threads(count: int, work) -> list:
    """Run `work(i)` in `count` threads released at the same moment; return each result or the
    exception it raised. Every thread closes its own database connection."""
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


@pytest.fixture
def operator(sverdlovsk) -> StaffRole:
    return make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk, first_name="Ольга")


@pytest.fixture
def colleague(sverdlovsk) -> StaffRole:
    return make_staff("colleague@example.ru", StaffRole.Role.OPERATOR, sverdlovsk, first_name="Пётр")


@pytest.fixture
def supervisor(sverdlovsk) -> StaffRole:
    return make_staff("boss@example.ru", StaffRole.Role.SUPERVISOR, sverdlovsk, first_name="Мария")


@pytest.fixture
def perm_operator(perm) -> StaffRole:
    return make_staff("perm@example.ru", StaffRole.Role.OPERATOR, perm, first_name="Глеб")
