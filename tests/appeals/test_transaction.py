"""An appeal and its files are stored in one transaction: a failure leaves neither half, gives
the number back, sends nothing, and keeps the customer's uploads for another try."""

from django.utils import timezone
import pytest

from kabinet.appeals import services
from kabinet.appeals.models import Appeal, Attachment, Event, Upload
from tests.conftest import make_appeal, upload_file


def test_failure_while_storing_leaves_neither_half(customer, account, reason, outbox, monkeypatch):
    uploads = [upload_file(customer), upload_file(customer, "второй.pdf")]
    real_create = Attachment.objects.create
    calls = []

    def fail_on_second(**fields):
        calls.append(fields)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_create(**fields)

    monkeypatch.setattr(Attachment.objects, "create", fail_on_second)
    draft = services.AppealDraft(account, reason, "текст", "phone", uploads)
    with pytest.raises(OSError):
        services.submit_appeal(customer, draft)

    assert not Appeal.objects.exists()
    assert not Attachment.objects.exists()
    assert not Event.objects.exists()
    assert Upload.objects.count() == 2  # nothing the customer attached is lost
    assert outbox.messages() == []
    monkeypatch.undo()
    appeal = services.submit_appeal(customer, services.AppealDraft(account, reason, "текст", "phone", uploads))
    assert appeal.number == f"66-{timezone.localdate().year}-000001"  # the number was given back
    assert appeal.attachments.count() == 2 and not Upload.objects.exists()


def test_failure_of_a_customer_message_keeps_the_appeal_as_it_was(customer, account, reason, monkeypatch):
    appeal = make_appeal(customer, account, reason, files=0)
    upload = upload_file(customer)

    def broken(*args, **kwargs):
        raise RuntimeError("history unavailable")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        services.add_customer_message(customer, appeal.number, "Дополняю", [upload])
    assert not appeal.messages.exists()
    assert not Attachment.objects.filter(appeal=appeal).exists()
    assert Upload.objects.filter(pk=upload.pk).exists()
