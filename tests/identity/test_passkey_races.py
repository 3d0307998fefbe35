"""Passkeys under concurrent requests (PostgreSQL's row locks; SQLite serialises writes anyway):
answers with one sign count at once let one sign-in through, and two removals at once never
leave an employee without a second factor."""

from django.test import RequestFactory
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.identity import passkeys, second_factor
from kabinet.identity.second_factor import Outcome
from tests.factories import SoftPasskey, in_threads, make_staff


def request_for(user, *, verified: bool = False):
    request = RequestFactory().post("/")
    user.is_verified = lambda: verified  # as django_otp's middleware sets it
    request.user, request.session = user, {}
    return request


def registered(user, key: SoftPasskey, name: str) -> None:
    request = request_for(user, verified=second_factor.is_on(user))
    options = passkeys.registration_options(request)
    check, _ = passkeys.register(request, name, key.create(options), None)
    assert check.outcome is Outcome.OK


@pytest.mark.django_db(transaction=True)
def test_one_sign_count_signs_in_once(customer):
    """A cloned key's answers repeat a count: checked one after the other, only one passes."""
    key = SoftPasskey()
    registered(customer, key, "Телефон")
    requests = [request_for(customer) for _ in range(4)]
    answers = []
    for request in requests:
        answers.append(key.get(passkeys.sign_in_options(request)))
        key.count -= 1  # every answer carries count 1

    outcomes = in_threads(4, lambda i: passkeys.verify(requests[i], answers[i], None).outcome)

    assert sorted(o.name for o in outcomes) == ["INVALID", "INVALID", "INVALID", "OK"], outcomes
    assert second_factor.passkeys(customer).get().sign_count == 1


@pytest.mark.django_db(transaction=True)
def test_two_removals_at_once_leave_an_employee_a_passkey(sverdlovsk):
    employee = make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk).user
    registered(employee, SoftPasskey(), "Ноутбук")
    registered(employee, SoftPasskey(), "Телефон")
    keys = list(second_factor.passkeys(employee).values_list("pk", flat=True))

    outcomes = in_threads(2, lambda i: passkeys.remove(employee, keys[i], None).outcome)

    assert sorted(o.name for o in outcomes) == ["INVALID", "OK"], outcomes
    assert second_factor.passkeys(employee).count() == 1
