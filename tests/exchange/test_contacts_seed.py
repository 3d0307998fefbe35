"""billing/0009 seeds the log of bill delivery changes with the subscriptions that exist when it
runs: billing was never told of them, and the first export of contacts must say so."""

from datetime import UTC, datetime

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
import pytest

from kabinet.billing.models import BillDeliveryChange, BillSubscription
from tests.factories import make_account, make_customer, migrate_to_latest

BEFORE = [("billing", "0008_monthbalance_source")]
AFTER = [("billing", "0009_billdeliverychange"), ("exchange", "0004_exporteddeliverychange")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


@pytest.fixture(autouse=True)
def latest_migrations_after():
    """Going back to BEFORE also unapplies every later migration that depends on it (payments,
    exchange 0006…): migrate the whole project forward again, or the transactional tests that
    run after this one find tables missing."""
    yield
    migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_todays_subscriptions_are_seeded_as_subscribed(sverdlovsk):
    held = make_account(sverdlovsk, "660100000001")
    left = make_account(sverdlovsk, "660100000002", flat="6")
    anna = make_customer("+79120000001", held, email="anna@example.ru")
    since = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    BillSubscription.objects.create(account=held, user=anna)
    # Anna subscribed this one, then another customer took it over: Kabinet no longer e-mails it.
    BillSubscription.objects.create(account=left, user=anna)
    make_customer("+79120000002", left, email="boris@example.ru")
    BillSubscription.objects.update(created_at=since)

    migrate(BEFORE)
    migrate(AFTER)

    seeded = list(BillDeliveryChange.objects.values_list("account__number", "delivery", "email", "event", "changed_at"))
    assert seeded == [("660100000001", "email", "anna@example.ru", "subscribed", since)]
