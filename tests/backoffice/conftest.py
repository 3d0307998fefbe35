import pytest

from kabinet.appeals.models import StaffRole
from kabinet.identity.models import User
from tests.conftest import PASSWORD


def make_staff(email: str, role: str, *regions, first_name: str = "Ирина") -> StaffRole:
    user = User.objects.create_user(None, PASSWORD, email=email, first_name=first_name, last_name="Сотрудник")
    staff = StaffRole.objects.create(user=user, role=role)
    staff.regions.add(*regions)
    return staff


@pytest.fixture
def operator(sverdlovsk) -> StaffRole:
    return make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)


@pytest.fixture
def staff_client(client, operator):
    client.force_login(operator.user)
    return client
