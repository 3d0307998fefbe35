"""core.changes tells the readers after the write's commit, so it must be inside the write's
transaction: outside one the notice would go before the write it announces."""

import pytest

from kabinet.core import changes


@pytest.mark.django_db(transaction=True)
def test_a_notice_outside_a_transaction_is_refused():
    heard = []

    def hear(sender, **kwargs):
        heard.append(kwargs["account_ids"])

    changes.changed.connect(hear)
    try:
        with pytest.raises(RuntimeError, match="outside a transaction"):
            changes.accounts_changed([1])
    finally:
        changes.changed.disconnect(hear)
    assert heard == []
