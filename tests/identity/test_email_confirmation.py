"""identity.email_confirmation as reviewed after issue 11, point 1: one open link however many
requests race, every replaced e-mail told to its old address, and closed links cleared away."""

from datetime import timedelta
import importlib

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
import pytest

from kabinet.identity import email_confirmation
from kabinet.identity.models import EmailConfirmation, User
from tests.factories import in_threads, make_customer


def open_links(user: User) -> int:
    return EmailConfirmation.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).count()


@pytest.mark.django_db(transaction=True)
def test_requests_at_once_leave_one_open_link(sverdlovsk):
    # Without the lock on the user's row, PostgreSQL lets each request void only what it saw
    # and insert its own: several open links. (SQLite serialises the writes anyway.)
    user = make_customer("+79120000001", email="anna@example.ru")
    email_confirmation.send_link(user, "old@example.ru", "10.0.0.1")

    results = in_threads(6, lambda i: email_confirmation.send_link(user, f"new{i}@example.ru", "10.0.0.1"))

    assert [r for r in results if isinstance(r, Exception)] == []
    assert open_links(user) == 1


def test_a_registration_link_replacing_an_e_mail_is_told_to_the_old_one(customer, mailbox, outbox):
    """The address given at registration confirmed later still replaces the e-mail the account
    has since had: its owner hears of it."""
    assert customer.email == "anna@example.ru"
    email_confirmation.send_link(customer, "new@example.ru", "10.0.0.1", at_registration=True)
    token = mailbox()[-1].body.split("/profile/email/confirm/")[1].split("/")[0]
    email_confirmation.confirm(customer, token, "10.0.0.1")
    notice = mailbox()[-1]
    assert notice.to == ["anna@example.ru"] and "изменён e-mail" in notice.subject


def test_the_first_e_mail_given_at_registration_is_no_change_to_tell(sverdlovsk, mailbox, outbox):
    user = make_customer("+79120000001")
    email_confirmation.send_link(user, "new@example.ru", "10.0.0.1", at_registration=True)
    token = mailbox()[-1].body.split("/profile/email/confirm/")[1].split("/")[0]
    email_confirmation.confirm(user, token, "10.0.0.1")
    assert [m.to for m in mailbox()] == [["new@example.ru"]]
    assert outbox.messages() == []


def test_links_closed_over_30_days_ago_are_deleted(customer):
    now = timezone.now()
    old = now - timedelta(days=31)
    recent = now - timedelta(days=29)

    def link(name: str, **fields) -> EmailConfirmation:
        fields.setdefault("expires_at", now + timedelta(hours=1))
        return EmailConfirmation.objects.create(user=customer, address=f"{name}@example.ru", token_hash=name, **fields)

    link("used", created_at=old, used_at=old)
    link("voided", created_at=old, voided_at=old)
    link("expired", created_at=old - timedelta(days=1), expires_at=old)
    kept = {
        link("used-lately", created_at=old, used_at=recent).pk,
        link("expired-lately", created_at=recent - timedelta(days=1), expires_at=recent).pk,
        link("open", created_at=now).pk,
    }

    call_command("identity_housekeeping")

    assert set(EmailConfirmation.objects.values_list("pk", flat=True)) == kept


def test_the_housekeeping_is_scheduled(customer):
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("purge_email_confirmations")]
    module, name = entry["task"].rsplit(".", 1)
    EmailConfirmation.objects.create(user=customer, address="a@example.ru", token_hash="x",
                                     expires_at=timezone.now() - timedelta(days=40))  # fmt: skip
    assert getattr(importlib.import_module(module), name).delay().get() == 1
    assert not EmailConfirmation.objects.exists()
