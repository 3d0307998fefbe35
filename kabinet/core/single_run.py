"""One holder at a time across processes, for periodic jobs that must not overlap (the drop
folder's pickup, the payments' refresh): a session advisory lock on PostgreSQL, which goes with
a dead worker's connection; a file lock on SQLite, where every process is on one host."""

from collections.abc import Iterator
import contextlib
import fcntl
import logging
from pathlib import Path

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def only_one(key: int, lock_file: Path) -> Iterator[bool]:
    """True (and held meanwhile) when nobody else holds it; False at once otherwise."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])  # set-based: not a write (a lock)
            got = cursor.fetchone()[0]
        try:
            yield got
        finally:
            if got:
                _unlock(key)
        return
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a") as handle:  # flock: per open file, so threads too
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _unlock(key: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])  # set-based: not a write (a lock)
    except DatabaseError:  # the connection is gone, and the lock with it
        logger.warning("could not release the advisory lock %s", key, exc_info=True)
