"""Writes that send no signal (an import's SQL, a rebuild's INSERTs) still reach GET /accounts
at once: each tells core.changes once it commits, and api.read_cache bumps the versions, so the
kept answer — warm, and kept for read_cache.SECONDS, minutes — is not served after them. The
last test keeps the list of such writers closed: a new one fails until someone decides."""

from datetime import date
from decimal import Decimal
import io
from pathlib import Path
import re

from django.db import transaction
import pytest

import kabinet
from kabinet.api import read_cache
from kabinet.billing.balances import rebuild_balances, rebuild_balances_of, rebuild_balances_selected
from kabinet.billing.models import Accrual, MonthBalance
from kabinet.core import changes
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import
from tests.factories import access_token, bearer, csv_bytes, make_billed

pytestmark = pytest.mark.django_db
ACCOUNTS = "/api/v1/accounts"

IMPORTS = {  # kind: (header, row, what the card shows after it)
    "payments": (
        "region,account,paid_on,amount,channel,payment_id",
        "66,660100000001,2026-11-07,250.50,bank,SB-9",
        lambda card: card["last_payment"]["amount"] == "250.50",
    ),
    "balances": (
        "region,account,month,opening,accrued,paid,closing",
        "66,660100000001,2026-11,500.00,1200.5,2000,-299.50",
        lambda card: card["balance"] == "-299.50",
    ),
    "accounts": (
        "region,number,city,street,house,flat,status,replaced_by,closed_on",
        "66,660100000001,Екатеринбург,ул. Малышева,12а,5,closed,,2026-11-01",
        lambda card: card["status"] == "closed",
    ),
}


@pytest.fixture
def poller(client, customer, account, commit_queue, django_assert_num_queries):
    """Home Assistant's poll: the first read keeps the answer; `warm()` proves the kept one is
    served (the token check only); `read()` is the next poll's card."""
    make_billed(account)
    headers = bearer(access_token(customer))
    commit_queue.run()  # the setup's own commits: their bumps are not the test's

    class Poller:
        first = client.get(ACCOUNTS, headers=headers).json()[0]

        def warm(self):
            with django_assert_num_queries(1):
                assert client.get(ACCOUNTS, headers=headers).json()[0] == self.first

        def read(self):
            return client.get(ACCOUNTS, headers=headers).json()[0]

    return Poller()


@pytest.mark.parametrize("kind", sorted(IMPORTS))
def test_an_import_shows_on_the_next_poll(poller, commit_queue, kind):
    header, row, shows = IMPORTS[kind]
    poller.warm()
    batch = run_import(kind, io.BytesIO(csv_bytes(row, header=header)), file_name="f.csv", source="tests")
    assert batch.status == ImportBatch.Status.DONE, batch.message
    commit_queue.run()  # the import's commit
    card = poller.read()
    assert shows(card) and card != poller.first


def test_an_import_tells_once_at_its_commit_and_a_dry_run_not_at_all(poller, commit_queue):
    header, row, _ = IMPORTS["payments"]
    heard = []

    def hear(sender, **kwargs):
        heard.append(kwargs)

    changes.changed.connect(hear)
    try:
        run_import("payments", io.BytesIO(csv_bytes(row, header=header)), file_name="f.csv", source="t", dry_run=True)
        commit_queue.run()
        poller.warm()  # nothing committed: the kept answer stays
        assert heard == []
        run_import("payments", io.BytesIO(csv_bytes(row, header=header)), file_name="f.csv", source="tests")
        assert heard == []  # not before the commit
        commit_queue.run()
    finally:
        changes.changed.disconnect(hear)
    # The runner's one notice for the file, and the rebuild's (on PostgreSQL set-based, so for
    # every account; on SQLite for the accounts it rebuilt): never one a row.
    assert 1 <= len(heard) <= 2


def _accrue_in_bulk(account) -> None:
    """An accrual written without a signal, as an import writes it."""
    kept = Accrual.objects.filter(account=account).first()
    kept.pk, kept.period, kept.amount = None, date(2026, 11, 1), Decimal("333.00")
    Accrual.objects.bulk_create([kept])


@pytest.mark.parametrize(
    "rebuild",
    [
        lambda account: rebuild_balances_of([account.pk]),
        lambda account: rebuild_balances_selected(f"SELECT {account.pk} AS account_id"),
        lambda account: rebuild_balances(account, MonthBalance.objects.filter(account=account).first().opening),
    ],
    ids=["of", "selected", "one"],
)
def test_a_rebuild_of_month_balances_shows_on_the_next_poll(poller, commit_queue, account, rebuild):
    poller.warm()
    with transaction.atomic():
        _accrue_in_bulk(account)
        rebuild(account)
    commit_queue.run()
    card = poller.read()
    assert card["balance"] != poller.first["balance"]


def test_many_accounts_changed_bump_everyone_without_a_query(poller, commit_queue, django_assert_num_queries):
    poller.warm()
    with django_assert_num_queries(0):
        changes.accounts_changed(range(read_cache.MANY + 1))
        commit_queue.run()
    with django_assert_num_queries(2):  # not the kept answer
        poller.read()


# --- The guard ----------------------------------------------------------------------------------
# Every place in the apps that write what a card shows (or sit next to them) that writes rows
# without a model signal, or runs SQL, with the count of such calls in the file and why the
# kept answers stay true. Migrations are left out: they run before the release they belong to
# serves (the answers kept by the release before expire within read_cache.SECONDS).
APPS = ("billing", "exchange", "payments", "identity", "readings")
WRITER = re.compile(r"\.update\(|bulk_create\(|bulk_update\(|insert_rows\(|_raw_delete\(|\.execute\(|\bCOPY\b")
COVERED = "tells core.changes (tests above)"
IN_IMPORT = "an import kind's merge: run_import tells core.changes once at the commit (tests above)"
NOT_SHOWN = "writes nothing a card of GET /accounts shows"
NOT_A_WRITE = "a hash's update, a lock, a SET LOCAL, or temp tables: no row a card shows"
ALLOWED = {
    "billing/balances.py": (4, f"rebuild_balances, _of, _selected {COVERED}; the rest locks and reads ids"),
    "billing/balances_sql.py": (17, "the SQL of rebuild_balances_of/_selected, which tell core.changes"),
    "billing/bill_jobs.py": (2, f"Bill's e-mail fields: {NOT_SHOWN}"),
    "billing/history.py": (1, NOT_A_WRITE),
    "billing/bill_pdf.py": (1, "an object's __dict__ update"),
    "billing/demo.py": (1, "the demo's region before its accounts exist: `manage.py demo`, not production"),
    "exchange/commands.py": (1, "a progress bar's update"),
    "exchange/exports.py": (2, NOT_A_WRITE),
    "exchange/reading.py": (2, NOT_A_WRITE),
    "exchange/locks.py": (1, NOT_A_WRITE),
    "exchange/abandoned.py": (1, f"the import journal: {NOT_SHOWN}"),
    "exchange/runner.py": (4, f"the rejected rows, SET LOCAL: {NOT_SHOWN}"),
    "exchange/staging.py": (13, f"the staging tables; {IN_IMPORT}"),
    "exchange/readings_export.py": (1, f"export marks: {NOT_SHOWN}"),
    "exchange/contacts_export.py": (1, f"export marks: {NOT_SHOWN}"),
    "exchange/payments_export.py": (1, f"export marks: {NOT_SHOWN}"),
    "exchange/kinds/__init__.py": (1, "a docstring's COPY"),
    "exchange/kinds/accounts.py": (3, IN_IMPORT),
    "exchange/kinds/accruals.py": (14, IN_IMPORT),
    "exchange/kinds/balances.py": (5, IN_IMPORT),
    "exchange/kinds/payments.py": (4, IN_IMPORT),
    "exchange/kinds/meters.py": (2, f"meters (changes_accounts False): {NOT_SHOWN}"),
    "exchange/kinds/readings.py": (3, f"readings (changes_accounts False): {NOT_SHOWN}"),
    "payments/ledger.py": (1, "a lock; its rebuild_balances_of tells core.changes"),
    "payments/services.py": (1, NOT_A_WRITE),
    "payments/refresh.py": (1, f"a refund's flag: {NOT_SHOWN}"),
    "payments/autocharge.py": (1, f"an auto-charge's outcome: {NOT_SHOWN}"),
    "payments/demo.py": (5, "the demo acquirer's dicts"),
    "identity/email_confirmation.py": (1, NOT_SHOWN),
    "identity/codes.py": (1, NOT_SHOWN),
    "identity/models.py": (2, f"a dict's update; e-mail confirmations: {NOT_SHOWN}"),
    "identity/second_factor.py": (2, NOT_SHOWN),
    "identity/api_tokens.py": (4, "tokens: checked in the database on every request, kept answer or not"),
    "readings/demo.py": (1, f"demo readings: {NOT_SHOWN}"),
}


def writers() -> dict[str, int]:
    root = Path(kabinet.__file__).parent
    found = {}
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            count = len(WRITER.findall(path.read_text(encoding="utf-8")))
            if count:
                found[path.relative_to(root).as_posix()] = count
    return found


def test_every_set_based_writer_is_covered_or_has_a_reason():
    """A new `.update(`, `bulk_create`, raw SQL… in these apps fails here until it tells
    core.changes (and this list says so) or the list says why the kept answers stay true; else
    read_cache.SECONDS goes back to a few seconds."""
    assert writers() == {path: count for path, (count, _reason) in ALLOWED.items()}
