"""The journal and the upload form in /admin/, and `manage.py import_accounts`'s summary and
exit status."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
import pytest

from kabinet.billing.models import PersonalAccount
from kabinet.exchange.models import ImportBatch
from kabinet.identity.models import User
from tests.factories import admin_login, csv_bytes

GOOD = "66,660100000001,Екатеринбург,ул. Малышева,12а,5,,,"
BAD = "66,12345,Екатеринбург,ул. Малышева,12а,6,,,"
UPLOAD = reverse("admin:exchange_importbatch_upload")
JOURNAL = reverse("admin:exchange_importbatch_changelist")


@pytest.fixture
def admin_client(client, sverdlovsk):
    admin_login(client, User.objects.create_superuser("+79990000000", "Admin-Demo-2026!"))
    return client


def upload(client, *rows, dry_run=False):
    data = {"kind": "accounts", "file": SimpleUploadedFile("реестр.csv", csv_bytes(*rows), "text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(UPLOAD, data, follow=True)


def test_upload_loads_the_file_and_shows_the_batch(admin_client):
    form = admin_client.get(UPLOAD).content.decode()
    assert "Загрузить файл обмена" in form and "Лицевые счета" in form
    page = upload(admin_client, GOOD)
    batch = ImportBatch.objects.get()
    assert page.redirect_chain[-1][0] == reverse("admin:exchange_importbatch_change", args=[batch.pk])
    text = page.content.decode()
    assert "Загружено: прочитано строк 1, создано 1" in text and "реестр.csv" in text
    assert batch.status == ImportBatch.Status.DONE and batch.user.phone == "+79990000000"
    assert batch.source == "администрирование"
    assert PersonalAccount.objects.filter(number="660100000001").exists()
    again = upload(admin_client, GOOD).content.decode()
    assert "Этот файл уже загружен" in again


def test_a_rejected_upload_lists_its_rows_on_the_batch_page(admin_client):
    page = upload(admin_client, GOOD, BAD).content.decode()
    assert "Файл не загружен, ничего не изменено: отклонено строк 1" in page
    assert "number: «12345» — номер не подходит региону" in page and BAD in page
    assert not PersonalAccount.objects.exists()


def test_the_journal_lists_and_filters_batches_read_only(admin_client):
    upload(admin_client, GOOD)
    upload(admin_client, BAD)
    page = admin_client.get(JOURNAL).content.decode()
    assert "Загрузить файл" in page and page.count("реестр.csv") == 2
    assert "Лицевые счета" in page and "Отклонён" in page and "Загружен" in page
    rejected = admin_client.get(JOURNAL, {"status": "rejected", "kind": "accounts"}).content.decode()
    assert rejected.count("реестр.csv") == 1
    batch = ImportBatch.objects.get(status="rejected")
    detail = admin_client.get(reverse("admin:exchange_importbatch_change", args=[batch.pk])).content.decode()
    assert "number: «12345» — номер" in detail and 'name="_save"' not in detail  # rows shown, nothing to save
    assert admin_client.get(reverse("admin:exchange_importbatch_add")).status_code == 403


def test_upload_needs_the_permission(client, sverdlovsk):
    staff = User.objects.create_user("+79990000001", "Staff-Demo-2026!", is_staff=True)
    admin_login(client, staff)
    assert client.get(UPLOAD).status_code == 403


def write(tmp_path, *rows):
    path = tmp_path / "accounts.csv"
    path.write_bytes(csv_bytes(*rows))
    return path


def test_command_ends_with_the_summary(tmp_path, sverdlovsk, capsys):
    call_command("import_accounts", write(tmp_path, GOOD))
    out = capsys.readouterr().out
    assert "Загружено: прочитано строк 1, создано 1" in out and "загрузка № " in out
    call_command("import_accounts", write(tmp_path, GOOD))
    assert "Этот файл уже загружен" in capsys.readouterr().out
    assert ImportBatch.objects.filter(source="manage.py import_accounts").count() == 2


def test_command_exit_status_2_when_rejected(tmp_path, sverdlovsk, capsys):
    with pytest.raises(CommandError) as error:
        call_command("import_accounts", write(tmp_path, GOOD, BAD))
    assert error.value.returncode == 2
    assert "строка 3: number: «12345» — номер" in capsys.readouterr().err


def test_command_exit_status_1_when_failed(tmp_path, sverdlovsk, monkeypatch):
    def broken(self, stage):
        raise RuntimeError("сбой")

    monkeypatch.setattr("kabinet.exchange.kinds.accounts.Accounts.merge", broken)
    with pytest.raises(CommandError, match="Загрузка прервана") as error:
        call_command("import_accounts", write(tmp_path, GOOD))
    assert error.value.returncode == 1


def test_command_missing_file(tmp_path, sverdlovsk):
    with pytest.raises(CommandError, match="не удалось прочитать"):
        call_command("import_accounts", tmp_path / "нет.csv")
