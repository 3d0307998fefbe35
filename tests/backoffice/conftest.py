import pytest

from kabinet.appeals.models import StaffRole
from tests.factories import fake_yookassa, make_staff, staff_login


@pytest.fixture
def operator(sverdlovsk) -> StaffRole:
    return make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)


@pytest.fixture
def staff_client(client, operator):
    staff_login(client, operator.user)
    return client


@pytest.fixture
def supervisor(sverdlovsk) -> StaffRole:
    return make_staff("supervisor@example.ru", StaffRole.Role.SUPERVISOR, sverdlovsk, first_name="Ольга")


@pytest.fixture
def yookassa(settings):
    with fake_yookassa(settings) as api:
        yield api
