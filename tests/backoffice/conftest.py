import pytest

from kabinet.appeals.models import StaffRole
from kabinet.identity.doors import SESSION_KEY, Door
from kabinet.identity.models import User
from tests.conftest import PASSWORD


def make_staff(email: str, role: str, *regions, first_name: str = "Ирина") -> StaffRole:
    user = User.objects.create_user(None, PASSWORD, email=email, first_name=first_name, last_name="Сотрудник")
    staff = StaffRole.objects.create(user=user, role=role)
    staff.regions.add(*regions)
    return staff


def staff_login(client, user: User) -> None:
    """Sign an employee in as the back office's own door does: the back office admits only
    sessions opened there (identity.doors)."""
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = Door.BACKOFFICE.value
    session.save()


@pytest.fixture
def operator(sverdlovsk) -> StaffRole:
    return make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)


@pytest.fixture
def staff_client(client, operator):
    staff_login(client, operator.user)
    return client
