"""An appeal and its files are stored in one transaction: a failure leaves neither half, gives
the number back, sends nothing, and keeps the customer's uploads for another try."""

from django.utils import timezone
import pytest

from kabinet.appeals import operators, services
from kabinet.appeals.models import Appeal, Attachment, Event, Message, NumberCounter, Status, Upload
from kabinet.appeals.storage import attachment_storage
from kabinet.notifications.models import Message as Notification
from tests.factories import PNG, make_appeal, upload_file


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
    assert not NumberCounter.objects.exists()
    assert Upload.objects.count() == 2  # nothing the customer attached is lost
    assert all(attachment_storage().exists(u.file.name) for u in uploads)
    assert outbox.messages() == []
    assert not Notification.objects.exists()
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


def test_failure_after_the_files_are_attached_rolls_everything_back(customer, account, reason, outbox, monkeypatch):
    make_appeal(customer, account, reason, files=0)  # 000001
    uploads = [upload_file(customer), upload_file(customer, "фото.png", PNG)]
    sent = len(outbox.messages())

    def broken(*args, **kwargs):
        raise RuntimeError("history unavailable")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        services.submit_appeal(customer, services.AppealDraft(account, reason, "второе", "phone", uploads))

    assert Appeal.objects.count() == 1
    assert not Attachment.objects.exists()
    assert NumberCounter.objects.get().last == 1
    assert set(Upload.objects.values_list("pk", flat=True)) == {u.pk for u in uploads}
    assert all(attachment_storage().exists(u.file.name) for u in uploads)
    assert len(outbox.messages()) == sent
    monkeypatch.undo()
    appeal = services.submit_appeal(customer, services.AppealDraft(account, reason, "второе", "phone", uploads))
    assert appeal.number == f"66-{timezone.localdate().year}-000002"
    assert sorted(a.name for a in appeal.attachments.all()) == ["справка.pdf", "фото.png"]


def test_failure_of_a_reply_changes_nothing_and_tells_nobody(customer, account, reason, operator, outbox, monkeypatch):
    appeal = make_appeal(customer, account, reason, files=0)
    operators.take(operator, appeal.pk)
    upload = upload_file(operator.user, "ответ.pdf")
    sent = len(outbox.messages())
    events = appeal.events.count()

    def broken(*args, **kwargs):
        raise RuntimeError("templates missing")

    monkeypatch.setattr(operators, "notify_customer", broken)
    with pytest.raises(RuntimeError):
        operators.reply(operator, appeal.pk, operators.Reply("Ответ", Status.ANSWERED, [upload]))

    appeal.refresh_from_db()
    assert (appeal.status, appeal.answered_at) == (Status.IN_PROGRESS, None)
    assert not Message.objects.filter(appeal=appeal).exists()
    assert not Attachment.objects.filter(appeal=appeal).exists()
    assert appeal.events.count() == events
    assert Upload.objects.filter(pk=upload.pk).exists()
    assert len(outbox.messages()) == sent


def test_failure_of_a_status_change_keeps_the_status(customer, account, reason, operator, monkeypatch):
    appeal = make_appeal(customer, account, reason, files=0)
    operators.take(operator, appeal.pk)

    def broken(*args, **kwargs):
        raise RuntimeError("history unavailable")

    monkeypatch.setattr(operators, "record", broken)
    with pytest.raises(RuntimeError):
        operators.change_status(operator, appeal.pk, Status.CLOSED, without_answer=True)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.closed_at) == (Status.IN_PROGRESS, None)


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_only_a_stored_appeal_is_confirmed(customer, account, reason, settings, monkeypatch):
    # No test transaction around: the SMS goes out at the real commit, or never.
    uploads = [upload_file(customer), upload_file(customer, "второй.pdf")]
    real_create = Attachment.objects.create
    calls = []

    def fail_on_second(**fields):
        calls.append(fields)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_create(**fields)

    monkeypatch.setattr(Attachment.objects, "create", fail_on_second)
    with pytest.raises(OSError):
        services.submit_appeal(customer, services.AppealDraft(account, reason, "текст", "phone", uploads))
    assert not settings.KABINET_SMS_OUTBOX.exists()
    assert not Appeal.objects.exists() and not NumberCounter.objects.exists()
    assert Upload.objects.count() == 2

    monkeypatch.undo()
    appeal = services.submit_appeal(customer, services.AppealDraft(account, reason, "текст", "phone", uploads))
    assert appeal.number.endswith("-000001")
    lines = settings.KABINET_SMS_OUTBOX.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and appeal.number in lines[0]
