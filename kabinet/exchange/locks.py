"""Who is working on the exchange right now, asked of the database (docs/exchange.md).

On PostgreSQL an import holds a session-level advisory lock on its kind from the moment its
journal entry is created until the entry is final, so a `running` entry whose kind's lock is
free belongs to a process that died (the lock goes with its connection). The pickup of the
drop folder holds one lock of its own, so only one pickup works at a time on any host. On
SQLite (one host) the pickup takes a file lock in the drop folder instead.
"""

from collections.abc import Iterator
import contextlib
import logging
from pathlib import Path
import zlib

from django.db import DatabaseError, connection

from kabinet.core.single_run import only_one

logger = logging.getLogger(__name__)

PICKUP = "drop-pickup"  # not a kind's name, so never a kind's lock
# The kinds whose merge rebuilds billing_monthbalance: their imports also take one shared lock,
# MONTH_BALANCES (not a kind's name either, so a balances import's own lock stays its own).
# The lock itself is billing.balances.lock_month_balances (online payments take it too).
BALANCE_KINDS = frozenset({"accruals", "payments", "balances"})
MONTH_BALANCES = "billing-monthbalance"


def key(name: str) -> int:
    """The advisory lock key of a kind (runner._lock takes the same one) or of the pickup."""
    return zlib.crc32(f"exchange:{name}".encode())


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _select(sql: str, name: str):
    with connection.cursor() as cursor:
        cursor.execute(sql, [key(name)])  # set-based: not a write (a lock)
        return cursor.fetchone()[0]


def _unlock(name: str) -> None:
    try:
        _select("SELECT pg_advisory_unlock(%s)", name)
    except DatabaseError:  # the connection is gone, and the lock with it
        logger.warning("could not release the exchange lock %s", name, exc_info=True)


@contextlib.contextmanager
def holding(name: str) -> Iterator[None]:
    """Wait for the kind's lock and hold it for the connection's session (PostgreSQL only)."""
    if not _postgres():
        yield
        return
    _select("SELECT pg_advisory_lock(%s)", name)
    try:
        yield
    finally:
        _unlock(name)


@contextlib.contextmanager
def if_free(name: str) -> Iterator[bool]:
    """True (and the lock held meanwhile) when no other session holds the lock; PostgreSQL only."""
    got = _select("SELECT pg_try_advisory_lock(%s)", name)
    try:
        yield got
    finally:
        if got:
            _unlock(name)


@contextlib.contextmanager
def pickup_lock(folder: Path) -> Iterator[bool]:
    """True while this pickup is the only one; False at once when another one runs."""
    with only_one(key(PICKUP), folder / ".pickup.lock") as got:
        yield got
