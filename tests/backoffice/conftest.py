import pytest

from kabinet.appeals.models import StaffRole
from tests.factories import make_staff, staff_login


@pytest.fixture
def operator(sverdlovsk) -> StaffRole:
    return make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)


@pytest.fixture
def staff_client(client, operator):
    staff_login(client, operator.user)
    return client
