"""What a set-based write tells the readers that keep answers (docs/api.md, «Speed»).

Saves and deletes through the ORM send Django's signals; an import's SQL, a `bulk_create`,
a `QuerySet.update` or a rebuild's INSERTs do not. The code that writes so calls
`accounts_changed` here, once per write (an import: once per run), and whoever keeps answers
built from those rows (api.read_cache) listens to `changed`. Domain apps need not know the
readers, and no domain app imports a UI app (tests/core/test_layering.py).
"""

from collections.abc import Collection

from django.db import transaction
from django.dispatch import Signal

# Sent once the writing transaction has committed, with `account_ids`: the accounts whose
# data changed, or None when the writer does not know them (an import).
changed = Signal()


def accounts_changed(account_ids: Collection[int] | None = None) -> None:
    """The data shown for these accounts (None: for any account) changed, or will change when
    the current transaction commits; the readers hear it after the commit, and not at all if
    it is rolled back. Only inside the writing transaction: outside one the notice would go at
    once, before a write that follows it, and a reader could keep the rows from before."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("accounts_changed() outside a transaction: call it inside the write's own")
    ids = None if account_ids is None else list(account_ids)
    # robust: the write has committed; a reader that fails (its cache away) is logged, and the
    # writer, its other callbacks and its caller go on.
    transaction.on_commit(lambda: changed.send(sender=None, account_ids=ids), robust=True)
