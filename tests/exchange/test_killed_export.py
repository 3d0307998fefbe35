"""A killed export's journal entry does not stay `running` either: the next export of its
kind or the export journal page closes it as failed (nothing was marked exported: the
marking is in the export's transaction). PostgreSQL: when nobody holds `export:<kind>`;
SQLite: by age."""

from datetime import timedelta

from django.db import connection
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.exchange import locks
from kabinet.exchange.abandoned import KILLED_EXPORT, fail_abandoned_exports
from kabinet.exchange.models import ExportBatch
from kabinet.exchange.readings_export import export_readings
from kabinet.identity.models import User
from tests.factories import admin_login, database_url, wait_until

pytestmark = pytest.mark.django_db
APP = "kabinet-killed-export"


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def left_running(**fields) -> ExportBatch:
    return ExportBatch.objects.create(kind="readings", period=ExportBatch.INCREMENTAL, source="tests", **fields)


def export(tmp_path) -> ExportBatch:
    return export_readings(source="tests", out_dir=tmp_path)


def test_the_next_export_closes_an_old_running_entry_on_sqlite(settings, tmp_path):
    if on_postgres():
        pytest.skip("PostgreSQL asks the lock, not the age")
    settings.KABINET_EXCHANGE_STALE_AFTER = 3600
    old = left_running(started_at=timezone.now() - timedelta(hours=2))
    recent = left_running()  # may still be working
    assert export(tmp_path).status == ExportBatch.Status.DONE
    old.refresh_from_db(), recent.refresh_from_db()
    assert (old.status, old.message) == (ExportBatch.Status.FAILED, KILLED_EXPORT) and old.finished_at
    assert recent.status == ExportBatch.Status.RUNNING


def test_an_export_whose_lock_is_held_is_left_running_on_postgres(tmp_path):
    if not on_postgres():
        pytest.skip("advisory locks are PostgreSQL's")
    import psycopg

    dsn = database_url()
    batch = left_running()
    with psycopg.connect(dsn, autocommit=True, application_name=APP) as other:  # another process, exporting
        other.execute("SELECT pg_advisory_lock(%s)", [locks.key("export:readings")])
        assert fail_abandoned_exports() == 0
        batch.refresh_from_db()
        assert batch.status == ExportBatch.Status.RUNNING
    with psycopg.connect(dsn, autocommit=True) as watch:  # its server session ends a moment later
        gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = %s"
        wait_until(lambda: watch.execute(gone, [APP]).fetchone()[0], "the other session ending")
    assert export(tmp_path).status == ExportBatch.Status.DONE
    batch.refresh_from_db()
    assert (batch.status, batch.message) == (ExportBatch.Status.FAILED, KILLED_EXPORT)


def test_the_export_journal_shows_a_dead_entry_as_failed(client, settings):
    settings.KABINET_EXCHANGE_STALE_AFTER = 0  # SQLite: any running entry is old enough
    batch = left_running(started_at=timezone.now() - timedelta(seconds=1))
    admin_login(client, User.objects.create_superuser("+79990000000", "Admin-Demo-2026!"))
    page = client.get(reverse("admin:exchange_exportbatch_changelist")).content.decode()
    assert "Прервана ошибкой" in page
    batch.refresh_from_db()
    assert (batch.status, batch.message) == (ExportBatch.Status.FAILED, KILLED_EXPORT)
