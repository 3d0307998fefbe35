"""identity 0009: every employee without a second factor when setup codes came waits for an
administrator's code; employees with one and customers do not."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.identity.models import SetupGrant
from tests.factories import give_second_factor, make_customer, make_staff, migrate_to_latest

BEFORE, AFTER = ("identity", "0008_setup_grant_redeemed"), ("identity", "0009_lock_employees_without_a_factor")


@pytest.mark.django_db(transaction=True)
def test_employees_without_a_factor_are_locked(sverdlovsk):
    fresh = make_staff("fresh@example.ru", StaffRole.Role.OPERATOR, sverdlovsk).user
    ready = make_staff("ready@example.ru", StaffRole.Role.OPERATOR, sverdlovsk).user
    give_second_factor(ready)
    flagged = make_customer("+79120000005", is_staff=True)
    customer = make_customer("+79120000006")
    try:
        MigrationExecutor(connection).migrate([BEFORE])
        MigrationExecutor(connection).migrate([AFTER])
    finally:
        migrate_to_latest()
    locked = set(SetupGrant.objects.values_list("user", flat=True))
    assert locked == {fresh.pk, flagged.pk}
    assert customer.pk not in locked
