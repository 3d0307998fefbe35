"""Writes that send no signal (an import's SQL, a rebuild's INSERTs) still reach GET /accounts
at once: each tells core.changes once it commits, and api.read_cache bumps the versions, so the
kept answer — warm, and kept for read_cache.SECONDS, minutes — is not served after them. The
last test keeps the list of such writers closed: a new one fails until someone decides."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
import io
from pathlib import Path
import re
import tokenize

from django.db import connection, transaction
import pytest

import kabinet
from kabinet.api import read_cache
from kabinet.billing.balances import rebuild_balances, rebuild_balances_of, rebuild_balances_selected
from kabinet.billing.models import Accrual, MonthBalance
from kabinet.core import changes
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import
from tests.factories import access_token, bearer, csv_bytes, make_account, make_billed, redis_cache

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


@pytest.fixture(params=["per-process", "redis"])
def poller(request, client, customer, account, commit_queue, django_assert_num_queries, settings):
    """Home Assistant's poll: the first read keeps the answer; `warm()` proves the kept one is
    served (the token check only); `read()` is the next poll's card. With the tests' per-process
    cache and with the machine's Redis (production's: versions bumped by a script there)."""
    if request.param == "redis":
        settings.CACHES = redis_cache(request.getfixturevalue("live_redis"))
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


def test_an_import_tells_once_at_its_commit_and_a_dry_run_not_at_all(poller, commit_queue, account, sverdlovsk):
    other = make_account(sverdlovsk, "660100000002", house="2")  # a new premises: everyone's bump
    commit_queue.run()
    poller.read()  # kept again
    header, row, _ = IMPORTS["payments"]
    rows = (row, "66,660100000002,2026-11-08,100.00,bank,SB-10")
    heard = []

    def hear(sender, **kwargs):
        heard.append(kwargs)

    changes.changed.connect(hear)
    try:
        run_import("payments", io.BytesIO(csv_bytes(row, header=header)), file_name="f.csv", source="t", dry_run=True)
        commit_queue.run()
        poller.warm()  # nothing committed: the kept answer stays
        assert heard == []
        run_import("payments", io.BytesIO(csv_bytes(*rows, header=header)), file_name="f.csv", source="tests")
        assert heard == []  # not before the commit
        commit_queue.run()
    finally:
        changes.changed.disconnect(hear)
    # The rebuild's notice (on PostgreSQL set-based, so for any account; on SQLite for the
    # accounts it rebuilt), then the runner's one for the file: never one a row.
    rebuilt = None if connection.vendor == "postgresql" else [account.pk, other.pk]
    assert [sorted(h["account_ids"]) if h["account_ids"] else None for h in heard] == [rebuilt, None]


def test_a_rebuild_selected_in_postgresql_tells_about_any_account(poller, commit_queue, account):
    if connection.vendor != "postgresql":
        pytest.skip("the ids stay in the database only on PostgreSQL (DATABASE_URL=postgres://…)")
    heard = []

    def hear(sender, **kwargs):
        heard.append(kwargs["account_ids"])

    poller.warm()
    changes.changed.connect(hear)
    try:
        with transaction.atomic():
            _accrue_in_bulk(account)
            rebuild_balances_selected(f"SELECT {account.pk} AS account_id")
        commit_queue.run()
    finally:
        changes.changed.disconnect(hear)
    assert heard == [None]
    assert poller.read()["balance"] != poller.first["balance"]


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
# Every statement in the apps that writes rows without a model signal, runs SQL or deletes a
# queryset (a fast delete sends no signal: Accrual and MonthBalance have no delete receiver)
# carries a marker comment, on one of its lines or on the comment lines right above it, saying
# why the kept answers stay true:
#   # set-based: covered (<how it tells core.changes or sends a signal>)
#   # set-based: not shown (<what it writes, which no card of GET /accounts shows>)
#   # set-based: not a write (<what it is>)
# Comments and docstrings are not scanned: they run nothing. Migrations are left out: they run
# before the release they belong to serves, and post_migrate bumps everyone's version.
APPS = ("api", "backoffice", "billing", "core", "exchange", "identity", "payments", "portal", "readings")
WRITER = re.compile(
    r"\.update\(|bulk_create\(|bulk_update\(|insert_rows\(|_raw_delete\(|\.execute\(|executemany\(|\.delete\(|\.raw\("
    r"|\b(?:INSERT|UPDATE|DELETE)\b|(?i:\bCOPY\b)"
)
MARKER = re.compile(r"# set-based: (covered|not shown|not a write) \(.+\)")
NOT_CODE = {tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}


def statements(text: str) -> Iterator[tuple[int, int, bool]]:
    """Each statement's first and last line, and whether it is a lone string (a docstring)."""
    first, kinds = None, []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.NEWLINE and first is not None:
            yield first, token.start[0], kinds == [tokenize.STRING]
            first, kinds = None, []
        elif token.type not in NOT_CODE and token.type not in (tokenize.COMMENT, tokenize.NEWLINE):
            first = first or token.start[0]
            kinds.append(token.type)


def unmarked(text: str) -> list[str]:
    """The first lines of the writing statements in `text` that carry no marker."""
    lines, found = text.splitlines(), []
    comments = {
        t.start[0]: t.string for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.COMMENT
    }
    for first, last, docstring in statements(text):
        code = "\n".join(lines[n - 1].replace(comments.get(n, "\0"), "") for n in range(first, last + 1))
        if docstring or not WRITER.search(code):
            continue
        notes = [comments.get(n, "") for n in range(first, last + 1)]
        above = first - 1
        while above and lines[above - 1].lstrip().startswith("#"):
            notes.append(lines[above - 1])
            above -= 1
        if not any(MARKER.search(note) for note in notes):
            found.append(f"{first}: {lines[first - 1].strip()}")
    return found


def test_every_set_based_writer_is_covered_or_has_a_reason():
    """A new `.update(`, `.delete(`, `bulk_create`, raw SQL… in these apps fails here until it
    tells core.changes (and its marker says so) or its marker says why the kept answers stay
    true; else read_cache.SECONDS goes back to a few seconds."""
    root = Path(kabinet.__file__).parent
    found = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.parts:
                found += [f"{path.relative_to(root)}:{line}" for line in unmarked(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_guard_sees_deletes_raw_sql_and_copy_and_reads_the_markers():
    source = """
def rebuild(account, cursor):
    \"\"\"A docstring may say DELETE or copy.\"\"\"
    Accrual.objects.filter(account=account).delete()
    MonthBalance.objects.raw("SELECT 1")
    cursor.executemany(sql, rows)
    cursor.cursor.copy("copy t FROM STDIN")
    sql = f\"\"\"
        DELETE FROM t\"\"\"
    kept.delete()  # set-based: covered (its post_delete bumps)
    # set-based: not shown (a temp table)
    cursor.execute(
        "INSERT INTO t VALUES (1)"
    )
    cache.delete(key)  # set-based: covered
"""
    assert [line.split(":")[0] for line in unmarked(source)] == ["4", "5", "6", "7", "8", "15"]
