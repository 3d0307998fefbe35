"""Issue 15: files shared by every app server. With KABINET_S3_BUCKET set, attachments, bills and
e-mail files live in a private bucket (here a real S3 server, moto, on 127.0.0.1); downloads
still go through the views' permission checks and keep their names and types."""

from contextlib import suppress
from email.message import Message
import json
import os
import subprocess
import sys
import tracemalloc
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.appeals.models import Appeal, Attachment, StaffRole
from kabinet.billing.models import Bill
from kabinet.billing.periods import add_months
from tests.factories import (
    PDF,
    customer_login,
    make_account,
    make_billed,
    make_customer,
    make_staff,
    pdf_text,
    staff_login,
)

pytestmark = pytest.mark.django_db
NAME = "Скан справки.pdf"
RFC5987 = "filename*=utf-8''%D0%A1%D0%BA%D0%B0%D0%BD%20%D1%81%D0%BF%D1%80%D0%B0%D0%B2%D0%BA%D0%B8.pdf"


def fetch(url: str) -> tuple[int, Message, bytes]:
    """A plain GET from outside Kabinet, as a browser or a stranger would send it."""
    try:
        with urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except HTTPError as refused:
        return refused.code, refused.headers, refused.read()


def keys(s3, prefix: str = "") -> list[str]:
    found = s3.list_objects_v2(Bucket=s3.bucket, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in found)


@pytest.fixture
def appeal(client, shared_s3, customer, account, reason) -> Appeal:
    """An appeal the customer sent through the portal's form with one file."""
    customer_login(client, customer)
    form = {
        "account": account.pk,
        "topic": reason.topic_id,
        "reason": reason.pk,
        "text": "Прошу сделать перерасчёт.",
        "contact_method": "phone",
        "files": [SimpleUploadedFile(NAME, PDF, content_type="application/pdf")],
    }
    assert client.post(reverse("portal:appeal_new"), form).status_code == 302
    return Appeal.objects.get()


def file_url(appeal) -> str:
    attachment = appeal.attachments.get()
    return reverse("portal:appeal_file", args=[appeal.number, attachment.pk])


def test_an_attachment_goes_to_the_bucket_under_its_prefix_and_nowhere_on_disk(shared_s3, appeal, tmp_path):
    attachment = appeal.attachments.get()
    assert keys(shared_s3) == [f"attachments/{attachment.file.name}"]
    assert NAME not in attachment.file.name, "the customer's file name is never part of the key"
    assert not (tmp_path / "attachments").exists()
    with pytest.raises(NotImplementedError):
        attachment.file.path  # noqa: B018 - an S3 object has no path: code must not ask for one


def test_the_customer_downloads_their_file_through_the_view(client, appeal, customer):
    response = client.get(file_url(appeal))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"attachment; {RFC5987}"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(len(PDF))
    assert b"".join(response.streaming_content) == PDF
    assert appeal.events.filter(kind="file_read", actor=customer).exists()


def test_the_operator_downloads_it_in_the_back_office(appeal, sverdlovsk):
    operator = make_staff("operator@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)
    staff = Client()
    staff_login(staff, operator.user)
    attachment = appeal.attachments.get()
    response = staff.get(reverse("backoffice:file", kwargs={"pk": appeal.pk, "attachment_id": attachment.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f"attachment; {RFC5987}"
    assert b"".join(response.streaming_content) == PDF


def test_another_customer_gets_404(appeal, sverdlovsk):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002"))
    stranger = Client()
    customer_login(stranger, other)
    assert stranger.get(file_url(appeal)).status_code == 404


def test_the_object_is_not_publicly_readable(shared_s3, appeal):
    """The bucket's own address answers an anonymous GET with 403, and no grant opens it to all."""
    [key] = keys(shared_s3)
    status, _, body = fetch(f"{settings.KABINET_S3_ENDPOINT_URL}/{shared_s3.bucket}/{key}")
    assert status == 403
    assert PDF not in body
    grants = shared_s3.get_object_acl(Bucket=shared_s3.bucket, Key=key)["Grants"]
    assert not [grant for grant in grants if "AllUsers" in grant["Grantee"].get("URI", "")]
    assert not [grant for grant in grants if "AuthenticatedUsers" in grant["Grantee"].get("URI", "")]


def test_a_storage_url_is_never_a_plain_public_one(appeal):
    url = appeal.attachments.get().file.url
    assert "X-Amz-Signature=" in url and parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["60"]


def test_a_bill_is_generated_into_the_bucket_and_downloaded(client, shared_s3, customer, account):
    period = add_months(timezone.localdate().replace(day=1), -1)
    make_billed(account, period=period)
    customer_login(client, customer)
    response = client.get(reverse("portal:bill", kwargs={"account_id": account.pk, "period": period}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="kvitanciya-660100000001-{period:%Y-%m}.pdf"'
    pdf = b"".join(response.streaming_content)
    assert "660100000001" in pdf_text(pdf)
    bill = Bill.objects.get()
    assert keys(shared_s3, "attachments/bills/") == [f"attachments/{bill.pdf.name}"]
    again = client.get(reverse("portal:bill", kwargs={"account_id": account.pk, "period": period}))
    assert b"".join(again.streaming_content) == pdf, "found in the bucket, not rendered again"
    assert len(keys(shared_s3, "attachments/bills/")) == 1


def open_files_under(folder) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        with suppress(OSError):  # closed meanwhile
            found.append(os.readlink(f"/proc/self/fd/{fd}"))
    return [path for path in found if path.startswith(str(folder))]


def test_a_large_object_streams_without_being_held_in_memory(shared_s3, settings, tmp_path):
    """An object above max_memory_size: the first chunk arrives while the rest is still in S3.
    Memory held at that moment, not counting the S3 server's own (moto runs in this process),
    stays far below the object's size, and no temporary file holds it: S3File would have
    downloaded all of it first, into memory or (beyond max_memory_size) a temporary file."""
    from kabinet.core.storage import private_download, private_storage

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    size = 8 * 1024 * 1024
    data = os.urandom(size)
    storage = private_storage()
    name = storage.save("big/scan.bin", ContentFile(data))
    tracemalloc.start(64)
    try:
        stored = FieldFile(None, Attachment._meta.get_field("file"), name)  # as the views hand it over
        response = private_download(stored, "Скан.bin", "application/octet-stream")
        chunks = iter(response.streaming_content)
        first = next(chunks)
        held = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, pattern, all_frames=True) for pattern in ("*/moto/*", "*/werkzeug/*")]
        )
    finally:
        tracemalloc.stop()
    assert sum(stat.size for stat in held.statistics("filename")) < size // 8
    assert open_files_under(tmp_path) == []
    assert response["Content-Length"] == str(size)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert response["Cache-Control"] == "private, no-store"
    assert first + b"".join(chunks) == data
    response.close()


# --- KABINET_S3_DOWNLOADS=redirect ------------------------------------------------------------
def test_redirect_mode_hands_out_a_signed_link_with_our_headers(settings, client, appeal, customer):
    settings.KABINET_S3_DOWNLOADS = "redirect"
    settings.KABINET_S3_LINK_TTL = 30
    response = client.get(file_url(appeal))
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    link = response["Location"]
    assert link.startswith(settings.KABINET_S3_ENDPOINT_URL)
    assert parse_qs(urlsplit(link).query)["X-Amz-Expires"] == ["30"]
    assert appeal.events.filter(kind="file_read", actor=customer).exists(), "the view's checks and record still ran"
    status, headers, body = fetch(link)
    assert status == 200 and body == PDF
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == f"attachment; {RFC5987}"
    assert headers["Cache-Control"] == "private, no-store"


def test_redirect_mode_still_refuses_another_customer(settings, appeal, sverdlovsk):
    settings.KABINET_S3_DOWNLOADS = "redirect"
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002"))
    stranger = Client()
    customer_login(stranger, other)
    assert stranger.get(file_url(appeal)).status_code == 404


# --- Settings -------------------------------------------------------------------------------------
def settings_with(tmp_path, **env) -> dict:
    """kabinet.settings imported in a fresh interpreter with these variables."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("KABINET_")}
    code = (
        "import json, kabinet.settings as s; print(json.dumps({'storages': s.STORAGES, "
        "'exchange': [s.KABINET_EXCHANGE_S3_BUCKET, s.KABINET_EXCHANGE_S3_ENDPOINT_URL, s.KABINET_EXCHANGE_S3_REGION, "
        "s.KABINET_EXCHANGE_S3_ACCESS_KEY_ID, s.KABINET_EXCHANGE_S3_IN_PREFIX, s.KABINET_EXCHANGE_S3_OUT_PREFIX]}, "
        "default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**clean, "KABINET_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


SHARED = {
    "KABINET_S3_BUCKET": "kabinet-files",
    "KABINET_S3_ENDPOINT_URL": "https://storage.yandexcloud.net",
    "KABINET_S3_ACCESS_KEY_ID": "key",
    "KABINET_S3_SECRET_ACCESS_KEY": "secret",
}


def test_without_a_bucket_files_stay_in_local_folders(tmp_path):
    found = settings_with(tmp_path)
    assert found["storages"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert found["storages"]["attachments"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert found["exchange"][0] == ""


def test_a_bucket_makes_both_storages_private_s3_under_their_own_prefixes(tmp_path):
    found = settings_with(tmp_path, **SHARED)
    for name, prefix in [("default", "files"), ("attachments", "attachments")]:
        entry = found["storages"][name]
        assert entry["BACKEND"] == "storages.backends.s3.S3Storage"
        options = entry["OPTIONS"]
        assert (options["bucket_name"], options["location"]) == ("kabinet-files", prefix)
        assert (options["default_acl"], options["querystring_auth"], options["file_overwrite"]) == (
            "private",
            True,
            False,
        )
        assert (options["region_name"], options["querystring_expire"]) == ("ru-central1", 60)
        assert options["max_memory_size"] == 5 * 1024 * 1024, "S3File spools to disk beyond it, not all in memory"
        assert options["endpoint_url"] == "https://storage.yandexcloud.net"


def test_the_exchange_uses_the_shared_bucket_unless_it_has_its_own(tmp_path):
    shared = settings_with(tmp_path, **SHARED)["exchange"]
    assert shared == [
        "kabinet-files",
        "https://storage.yandexcloud.net",
        "ru-central1",
        "key",
        "exchange/in/",
        "exchange/out/",
    ]
    own = settings_with(tmp_path, **SHARED, KABINET_EXCHANGE_S3_BUCKET="billing-drop")["exchange"]
    assert own == ["billing-drop", None, "us-east-1", "", "in/", "out/"]
