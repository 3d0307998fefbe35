"""billing 0010 drops indexes on tables a live portal reads: each DROP must not sit in one
transaction with the others (every DROP INDEX takes ACCESS EXCLUSIVE until the commit), and on
PostgreSQL it is CONCURRENTLY, which takes no such lock at all."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
import pytest

from tests.factories import migrate_to_latest

BEFORE, DROPPED = ("billing", "0009_billdeliverychange"), ("billing", "0010_drop_redundant_indexes")
INDEX = "billing_payment_account_id_411a2f8d"


def migrate(target) -> list[tuple[str, bool]]:
    """Migrate billing to `target`; each index statement run and whether it ran in a transaction."""
    statements = []

    def record(execute, sql, params, many, context):
        # Only billing's own: going back to 0009 also unapplies the apps that depend on billing
        # (payments), whose statements are not this migration's business.
        if "INDEX" in sql.upper() and "billing_" in sql:
            statements.append((" ".join(sql.split()), connection.in_atomic_block))
        return execute(sql, params, many, context)

    executor = MigrationExecutor(connection)
    with connection.execute_wrapper(record):
        executor.migrate([target])
    return statements


def indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


@pytest.mark.django_db(transaction=True)
def test_the_index_drops_run_outside_a_transaction_and_concurrently_on_postgres():
    try:
        restored = migrate(BEFORE)
        assert INDEX in indexes("billing_payment")
        dropped = migrate(DROPPED)
    finally:
        migrate_to_latest()
    assert INDEX not in indexes("billing_payment")
    drops = [(sql, atomic) for sql, atomic in dropped if sql.upper().startswith("DROP INDEX")]
    assert len(drops) == 6 and not any(atomic for _, atomic in drops), drops
    assert not any(atomic for sql, atomic in restored if sql.upper().startswith("CREATE INDEX")), restored
    if connection.vendor == "postgresql":
        assert all("CONCURRENTLY" in sql for sql, _ in drops), drops
