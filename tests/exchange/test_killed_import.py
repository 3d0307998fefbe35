"""A killed import leaves the previous data, and its journal entry does not stay `running`:
the next import of its kind, the next pickup or the journal page closes it as failed.
PostgreSQL: when nobody holds the kind's advisory lock any more; SQLite: by age."""

from datetime import timedelta
import io
import os
from pathlib import Path
import signal
import subprocess
import sys

from django.db import connection
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.billing.models import PersonalAccount, Premises
from kabinet.exchange import locks
from kabinet.exchange.abandoned import KILLED, fail_abandoned
from kabinet.exchange.drop import KILLED_BEFORE, pickup
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import
from kabinet.identity.models import User
from tests.factories import admin_login, csv_bytes, database_url, wait_until

ROOT = Path(__file__).resolve().parents[2]
GOOD = "66,660100000001,Екатеринбург,ул. Малышева,12а,5,,,"
APP = "kabinet-killed-import"


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def left_running(**fields) -> ImportBatch:
    return ImportBatch.objects.create(kind="accounts", file_name="убитый.csv", checksum="", source="tests", **fields)


def load(*rows) -> ImportBatch:
    return run_import("accounts", io.BytesIO(csv_bytes(*rows)), file_name="accounts.csv", source="tests")


def test_the_next_import_closes_an_old_running_entry_on_sqlite(sverdlovsk, settings):
    if on_postgres():
        pytest.skip("PostgreSQL asks the lock, not the age")
    settings.KABINET_EXCHANGE_STALE_AFTER = 3600
    old = left_running(started_at=timezone.now() - timedelta(hours=2))
    recent = left_running()  # may still be working
    assert load(GOOD).status == ImportBatch.Status.DONE
    old.refresh_from_db(), recent.refresh_from_db()
    assert (old.status, old.message) == (ImportBatch.Status.FAILED, KILLED) and old.finished_at
    assert recent.status == ImportBatch.Status.RUNNING


def test_an_entry_whose_kind_lock_is_held_is_left_running_on_postgres(sverdlovsk):
    if not on_postgres():
        pytest.skip("advisory locks are PostgreSQL's")
    import psycopg

    batch = left_running()
    with psycopg.connect(database_url(), autocommit=True, application_name=APP) as other:  # another process, importing
        other.execute("SELECT pg_advisory_lock(%s)", [locks.key("accounts")])
        assert fail_abandoned() == 0
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.RUNNING
    # That process is gone (its server session ends a moment after the client closes): the
    # next import of the kind closes its entry.
    with psycopg.connect(database_url(), autocommit=True) as watch:
        gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = %s"
        wait_until(lambda: watch.execute(gone, [APP]).fetchone()[0], "the other session ending")
    assert load(GOOD).status == ImportBatch.Status.DONE
    batch.refresh_from_db()
    assert (batch.status, batch.message) == (ImportBatch.Status.FAILED, KILLED)


def test_the_journal_page_shows_a_dead_entry_as_failed(client, sverdlovsk, settings):
    settings.KABINET_EXCHANGE_STALE_AFTER = 0  # SQLite: any running entry is old enough
    batch = left_running(started_at=timezone.now() - timedelta(seconds=1))
    admin_login(client, User.objects.create_superuser("+79990000000", "Admin-Demo-2026!"))
    page = client.get(reverse("admin:exchange_importbatch_changelist")).content.decode()
    assert 'field-status">Прервана ошибкой<' in page and 'field-status">Загружается<' not in page
    batch.refresh_from_db()
    assert batch.message == KILLED


@pytest.mark.django_db(transaction=True)
def test_a_pickup_killed_mid_file_leaves_the_previous_data_and_is_closed_next_time(sverdlovsk, drop, tmp_path):
    if not on_postgres():
        pytest.skip("a second process on one SQLite test database: PostgreSQL only")
    import psycopg

    (drop / "accounts_1.csv").write_bytes(csv_bytes(GOOD))
    [first] = pickup(via="tests")
    assert first.batch.status == ImportBatch.Status.DONE
    premises = Premises.objects.count()
    # The next file changes that account and adds 20 000 more.
    rows = ["66,660100000001,Екатеринбург,ул. Малышева,12а,7,,,"]
    rows += [f"66,6601{i:08},Екатеринбург,ул. Ленина,{i},1,,," for i in range(2, 20_002)]
    (drop / "accounts_2.csv").write_bytes(csv_bytes(*rows))
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "KABINET_EXCHANGE_IN_DIR": str(drop),
        "KABINET_EXCHANGE_SETTLE_SECONDS": "0",
        "KABINET_EXCHANGE_S3_BUCKET": "",
        "PGAPPNAME": APP,
    }
    with psycopg.connect(database_url(), autocommit=True) as watch, psycopg.connect(database_url()) as blocker:
        # Hold the accounts table, so the import stops inside its merge: staged, premises
        # inserted, accounts waiting — mid-file, in its one transaction.
        blocker.execute("LOCK TABLE billing_personalaccount IN EXCLUSIVE MODE")
        command = [sys.executable, str(ROOT / "manage.py"), "exchange_pickup", "--no-progress"]
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:

            def waiting_in_merge() -> bool:
                query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND wait_event_type = 'Lock'"
                return watch.execute(query, [APP]).fetchone()[0] == 1

            wait_until(waiting_in_merge, "the import reaching its merge")
            killed = ImportBatch.objects.get(file_name="accounts_2.csv")
            assert killed.status == ImportBatch.Status.RUNNING and (drop / "processing" / "accounts_2.csv").exists()
            assert fail_abandoned() == 0  # alive: its entry is left alone
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert process.returncode == -signal.SIGKILL
        blocker.rollback()
        gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = %s"
        wait_until(lambda: watch.execute(gone, [APP]).fetchone()[0], "the killed import's session ending")

    account = PersonalAccount.objects.select_related("premises").get()  # the previous data, intact
    assert account.number == "660100000001" and account.premises.flat == "5"
    assert Premises.objects.count() == premises
    killed.refresh_from_db()
    assert killed.status == ImportBatch.Status.RUNNING  # nothing has looked yet
    [recovered] = pickup(via="tests")
    killed.refresh_from_db()
    assert (killed.status, killed.message) == (ImportBatch.Status.FAILED, KILLED)
    assert recovered.batch.pk == killed.pk and recovered.moved_to == str(drop / "failed" / "accounts_2.csv")
    assert ImportBatch.objects.filter(file_name="accounts_2.csv").count() == 1
    assert list((drop / "processing").iterdir()) == []


def test_a_file_left_in_processing_without_an_entry_goes_to_failed_with_one(drop, sverdlovsk):
    (drop / "processing").mkdir()
    (drop / "processing" / "accounts_9.csv").write_bytes(csv_bytes(GOOD))  # killed while reading it
    [recovered] = pickup(via="tests")
    assert recovered.batch.status == ImportBatch.Status.FAILED and recovered.batch.message == KILLED_BEFORE
    assert (drop / "failed" / "accounts_9.csv").exists() and not PersonalAccount.objects.exists()


@pytest.mark.parametrize(
    ("row", "status", "folder"),
    [(GOOD, ImportBatch.Status.DONE, "done"), ("66,12345,Екатеринбург,ул. Малышева,12а,6,,,", "rejected", "rejected")],
)
def test_a_file_left_in_processing_after_its_import_finished_is_settled_by_its_entry(
    drop, sverdlovsk, row, status, folder
):
    """Killed between the import and the move: the data was loaded (or the file rejected), so
    the file goes where its entry says and no second entry claims that nothing was changed."""
    (drop / "processing").mkdir()
    data = csv_bytes(row)
    (drop / "processing" / "accounts_9.csv").write_bytes(data)
    finished = run_import("accounts", io.BytesIO(data), file_name="accounts_9.csv", source="папка обмена, tests")
    assert finished.status == status
    [recovered] = pickup(via="tests")
    assert recovered.batch.pk == finished.pk and ImportBatch.objects.count() == 1
    assert recovered.moved_to == str(drop / folder / "accounts_9.csv")


def test_a_file_left_in_processing_that_differs_from_its_finished_entry_goes_to_failed(drop, sverdlovsk):
    (drop / "processing").mkdir()
    run_import("accounts", io.BytesIO(csv_bytes(GOOD)), file_name="accounts_9.csv", source="папка обмена, tests")
    (drop / "processing" / "accounts_9.csv").write_bytes(csv_bytes(GOOD, GOOD.replace("0001", "0002")))
    [recovered] = pickup(via="tests")
    assert recovered.batch.status == ImportBatch.Status.FAILED and recovered.batch.message == KILLED_BEFORE
    assert (drop / "failed" / "accounts_9.csv").exists() and ImportBatch.objects.count() == 2
