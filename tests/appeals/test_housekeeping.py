"""Periodic housekeeping: stale uploads go, answered appeals close after the reopen period."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from kabinet.appeals.models import Appeal, Status, Upload
from kabinet.appeals.storage import attachment_storage
from tests.factories import make_appeal, upload_file


def test_stale_uploads_and_their_files_are_deleted(customer, capsys):
    old, fresh = upload_file(customer), upload_file(customer)
    Upload.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    call_command("appeals_housekeeping")
    assert list(Upload.objects.all()) == [fresh]
    assert not attachment_storage().exists(old.file.name)
    assert attachment_storage().exists(fresh.file.name)
    assert "stale uploads deleted: 1" in capsys.readouterr().out


def test_attachments_are_never_purged(customer, account, reason):
    appeal = make_appeal(customer, account, reason)
    Upload.objects.update(created_at=timezone.now() - timedelta(days=2))
    call_command("appeals_housekeeping")
    assert attachment_storage().exists(appeal.attachments.get().file.name)


def test_answered_appeals_close_after_the_reopen_period(customer, account, reason, capsys):
    old, recent = (make_appeal(customer, account, reason, files=0) for _ in range(2))
    Appeal.objects.filter(pk=old.pk).update(status=Status.ANSWERED, answered_at=timezone.now() - timedelta(days=31))
    Appeal.objects.filter(pk=recent.pk).update(status=Status.ANSWERED, answered_at=timezone.now() - timedelta(days=29))
    call_command("appeals_housekeeping")
    assert Appeal.objects.get(pk=old.pk).status == Status.CLOSED
    assert Appeal.objects.get(pk=recent.pk).status == Status.ANSWERED
    assert old.events.filter(kind="status", actor=None, to_status=Status.CLOSED).exists()
    assert "closed answered appeals: 1" in capsys.readouterr().out
