"""`export_contacts`: how each account's bill is delivered (paper or «Электронная квитанция» to a
confirmed e-mail), for billing. Each change is recorded by the service that makes it, in its
transaction; exported exactly once incrementally, any month again on demand; nothing about a
customer but the account, the delivery, the e-mail and the moment (formats/contacts-export.md)."""

from datetime import UTC, date, datetime
import hashlib

from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.billing.bill_jobs import subscribe, unsubscribe
from kabinet.billing.models import BillDeliveryChange, BillSubscription
from kabinet.exchange import exports
from kabinet.exchange.contacts_export import export_contacts
from kabinet.exchange.models import ExportBatch, ExportedDeliveryChange
from kabinet.identity import email_confirmation, profile
from kabinet.identity.models import AccountLink, User
from tests.factories import admin_login, export_crashing_before_commit, make_account, make_customer

HEADER = "region,account,delivery,email,changed_at,event,change_id"
AT = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # 19:00 in Yekaterinburg (KABINET_TIME_ZONE)


@pytest.fixture
def out(settings, tmp_path):
    settings.KABINET_EXCHANGE_OUT_DIR = tmp_path / "exchange" / "out"
    return settings.KABINET_EXCHANGE_OUT_DIR


def run(**options) -> ExportBatch:
    return export_contacts(source="tests", **options)


def rows(batch: ExportBatch, out) -> list[list[str]]:
    lines = (out / batch.file_name).read_bytes().decode("utf-8").splitlines()
    assert lines[0] == HEADER
    return [line.split(",") for line in lines[1:]]


@pytest.fixture
def change_email(mailbox, outbox):
    """The real path: a link is mailed to the new address and opened by the user."""

    def change(user, address: str) -> None:
        email_confirmation.send_link(user, address, "127.0.0.1")
        token = mailbox()[-1].body.split("/profile/email/confirm/")[1].split("/")[0]
        email_confirmation.confirm(user, token, "127.0.0.1")

    return change


def test_a_subscription_is_one_row_exported_once(out, account, customer):
    subscribe(customer, account)
    BillDeliveryChange.objects.update(changed_at=AT)
    change = BillDeliveryChange.objects.get()
    batch = run()
    assert batch.status == ExportBatch.Status.DONE and batch.kind == "contacts" and batch.rows == 1
    data = (out / batch.file_name).read_bytes()
    assert (
        data
        == (
            f"{HEADER}\r\n66,660100000001,email,anna@example.ru,2026-11-20T19:00:00+05:00,subscribed,{change.pk}\r\n"
        ).encode()
    )
    assert batch.checksum == hashlib.sha256(data).hexdigest()
    assert batch.file_name.startswith("contacts-incremental-") and batch.file_name.endswith(f"-{batch.pk}.csv")
    assert ExportedDeliveryChange.objects.get().batch == batch
    assert "Выгружено новых изменений доставки квитанций: 1" in batch.message

    again = run()
    assert again.status == ExportBatch.Status.DONE and again.rows == 0 and again.file_name == ""
    assert again.message == "Новых изменений доставки квитанций нет, файл не создан."
    assert [p.name for p in out.iterdir()] == [batch.file_name]


def test_subscribing_twice_changes_nothing(account, customer):
    subscribe(customer, account)
    subscribe(customer, account)
    assert BillDeliveryChange.objects.count() == 1


def test_an_email_change_is_a_row_for_each_subscribed_account(out, sverdlovsk, account, customer, change_email):
    second = make_account(sverdlovsk, "660100000002", flat="6")
    paper = make_account(sverdlovsk, "660100000003", flat="7")
    for held in (second, paper):
        AccountLink.objects.create(user=customer, account=held)
    subscribe(customer, account)
    subscribe(customer, second)
    run()
    change_email(customer, "anna.new@example.ru")
    batch = run()
    assert [(r[1], r[2], r[3], r[5]) for r in rows(batch, out)] == [
        ("660100000001", "email", "anna.new@example.ru", "email_changed"),
        ("660100000002", "email", "anna.new@example.ru", "email_changed"),
    ]


def test_an_email_change_without_a_subscription_is_not_exported(out, account, customer, change_email):
    change_email(customer, "anna.new@example.ru")
    assert not BillDeliveryChange.objects.exists()
    assert run().rows == 0


def test_unsubscribing_is_exported_as_paper_without_the_address(out, account, customer):
    subscribe(customer, account)
    run()
    unsubscribe(account)
    unsubscribe(account)  # already on paper: no second row
    batch = run()
    ((region, number, delivery, email, _, event, _),) = rows(batch, out)
    assert (region, number, delivery, email, event) == ("66", "660100000001", "paper", "", "unsubscribed")


def test_removing_a_subscribed_account_from_the_cabinet_sends_it_back_to_paper(out, account, customer):
    """Kabinet e-mails a bill only to the account's holder: once the holder unlinks it, the bill
    must go on paper again, and billing must know."""
    subscribe(customer, account)
    link = AccountLink.objects.get(account=account)
    assert profile.remove_account(customer, link.pk, "127.0.0.1")
    assert not BillSubscription.objects.exists()
    assert [(c.delivery, c.event) for c in BillDeliveryChange.objects.order_by("pk")] == [
        ("email", "subscribed"),
        ("paper", "account_removed"),
    ]
    assert [r[2] for r in rows(run(), out)] == ["email", "paper"]


def test_a_period_is_exported_again_and_marks_nothing(out, account, customer):
    subscribe(customer, account)
    unsubscribe(account)
    october, november = BillDeliveryChange.objects.order_by("pk")
    BillDeliveryChange.objects.filter(pk=october.pk).update(
        changed_at=timezone.make_aware(datetime(2026, 10, 31, 23, 30))
    )
    BillDeliveryChange.objects.filter(pk=november.pk).update(
        changed_at=timezone.make_aware(datetime(2026, 11, 1, 0, 30))
    )
    run()
    again = run(period=date(2026, 10, 1))
    assert again.status == ExportBatch.Status.DONE and again.period == "2026-10" and again.rows == 1
    assert again.file_name.startswith("contacts-2026-10-")
    assert [(r[2], r[4], r[6]) for r in rows(again, out)] == [
        ("email", "2026-10-31T23:30:00+05:00", str(october.pk))  # the month in Kabinet's time zone
    ]
    assert "Выгружено изменений доставки квитанций за 10.2026: 1" in again.message
    assert not ExportedDeliveryChange.objects.filter(batch=again).exists()
    assert [r[6] for r in rows(run(period=date(2026, 11, 1)), out)] == [str(november.pk)]
    assert rows(run(period=date(2026, 1, 1)), out) == []  # an empty month: the header alone


def test_nothing_of_another_person_leaks(out, sverdlovsk, account, customer, change_email):
    """The file says which account goes on paper or to which e-mail, and nothing else about
    anyone: no names, phones, other accounts or other people's addresses."""
    boris = make_customer(
        "+79120000002", make_account(sverdlovsk, "660100000002", flat="6"), email="boris@example.ru", first_name="Борис"
    )
    make_customer("+79120000003", make_account(sverdlovsk, "660100000003", flat="7"), email="vera@example.ru")
    subscribe(customer, account)
    change_email(boris, "boris.new@example.ru")  # Boris is not subscribed: not billing's business
    batch = run()
    text = (out / batch.file_name).read_text(encoding="utf-8")
    assert [r[1] for r in rows(batch, out)] == ["660100000001"]
    for private in ("Анна", "Иванова", "Борис", "+7912", "79120000001", "boris", "vera", "660100000002", "пароль"):
        assert private not in text
    assert customer.password.split("$")[-1] not in text


def test_a_crash_before_commit_marks_nothing_and_keeps_its_file(out, account, customer, caplog):
    subscribe(customer, account)
    export_crashing_before_commit(run, out, caplog)
    assert not ExportedDeliveryChange.objects.exists()
    retry = run()  # the next run sends them again
    assert retry.rows == 1 and ExportedDeliveryChange.objects.get().batch == retry


def test_rows_are_read_in_pages(out, sverdlovsk, customer, monkeypatch):
    monkeypatch.setattr(exports, "PAGE", 2)
    for n in range(2, 7):
        held = make_account(sverdlovsk, f"66010000000{n}", flat=str(n + 10))
        AccountLink.objects.create(user=customer, account=held)
        subscribe(customer, held)
    batch = run()
    assert batch.rows == 5 and [r[1] for r in rows(batch, out)] == [f"66010000000{n}" for n in range(2, 7)]
    assert ExportedDeliveryChange.objects.filter(batch=batch).count() == 5


def test_the_command_takes_a_period_and_a_folder(account, customer, tmp_path, capsys):
    subscribe(customer, account)
    month = f"{timezone.localdate():%Y-%m}"
    call_command("export_contacts", "--out", str(tmp_path / "here"))
    assert "Выгружено новых изменений доставки квитанций: 1" in capsys.readouterr().out
    call_command("export_contacts", "--period", month, "--out", str(tmp_path / "here"))
    assert "изменений доставки квитанций за" in capsys.readouterr().out
    assert len(list((tmp_path / "here").glob("contacts-*.csv"))) == 2
    assert ExportBatch.objects.filter(source="manage.py export_contacts", kind="contacts").count() == 2
    with pytest.raises(CommandError, match="ГГГГ-ММ"):
        call_command("export_contacts", "--period", "2026-13")


def test_the_change_log_is_read_only_in_the_admin(client, account, customer):
    subscribe(customer, account)
    admin_login(client, User.objects.create_superuser("+79990000000", "Admin-Demo-2026!"))
    page = client.get(reverse("admin:billing_billdeliverychange_changelist")).content.decode()
    assert "660100000001" in page and "anna@example.ru" in page and "электронная квитанция" in page
    assert client.get(reverse("admin:billing_billdeliverychange_add")).status_code == 403
