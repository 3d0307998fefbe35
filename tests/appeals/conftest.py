"""Back-office staff of the appeals tests."""

import pytest

from kabinet.appeals.models import StaffRole
from tests.factories import make_staff


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
