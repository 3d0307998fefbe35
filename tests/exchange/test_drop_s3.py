"""S3-compatible storage, against a real S3 server on 127.0.0.1 (moto): the pickup lists the
in prefix, imports each object and moves it to done/, rejected/ or failed/ under it; the
nightly export writes the file to the out folder and uploads it to the out prefix."""

from kabinet.billing.models import PersonalAccount
from kabinet.exchange.drop import pickup
from kabinet.exchange.models import ExportBatch, ImportBatch
from kabinet.exchange.tasks import export_for_billing
from tests.factories import NOV, add_reading, csv_bytes, make_meter

GOOD = "66,660100000001,Екатеринбург,ул. Малышева,12а,5,,,"
BAD = "66,12345,Екатеринбург,ул. Малышева,12а,6,,,"


def keys(s3, prefix="") -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=s3.bucket, Prefix=prefix).get("Contents", []))


def put(s3, name: str, data: bytes) -> None:
    s3.put_object(Bucket=s3.bucket, Key=f"billing/in/{name}", Body=data)


def test_objects_are_imported_and_moved_by_their_outcome(s3, sverdlovsk):
    put(s3, "accounts_1.csv", csv_bytes(GOOD))
    put(s3, "accounts_2.csv", csv_bytes(BAD))
    put(s3, "accounts_3.csv", csv_bytes(GOOD))  # the same bytes again: a duplicate
    put(s3, "accounts_4.csv.part", csv_bytes(GOOD))  # still being uploaded by a tool that renames
    s3.put_object(Bucket=s3.bucket, Key="billing/elsewhere.csv", Body=b"not ours")
    picked = pickup(via="tests")
    assert [(item.name, item.batch.status) for item in picked] == [
        ("accounts_1.csv", ImportBatch.Status.DONE),
        ("accounts_2.csv", ImportBatch.Status.REJECTED),
        ("accounts_3.csv", ImportBatch.Status.DUPLICATE),
    ]
    assert keys(s3) == [
        "billing/elsewhere.csv",
        "billing/in/accounts_4.csv.part",
        "billing/in/done/accounts_1.csv",
        "billing/in/done/accounts_3.csv",
        "billing/in/rejected/accounts_2.csv",
    ]
    assert picked[0].moved_to == f"s3://{s3.bucket}/billing/in/done/accounts_1.csv"
    assert picked[0].batch.source == "хранилище S3, tests"
    assert PersonalAccount.objects.filter(number="660100000001").count() == 1
    assert pickup(via="tests") == []  # nothing is loaded twice


def test_the_folder_and_the_bucket_are_both_picked_up(s3, sverdlovsk, drop):
    (drop / "accounts_1.csv").write_bytes(csv_bytes(GOOD))
    put(s3, "accounts_2.csv", csv_bytes("66,660100000002,Екатеринбург,ул. Малышева,12а,6,,,"))
    picked = pickup(via="tests")
    assert [item.batch.source for item in picked] == ["папка обмена, tests", "хранилище S3, tests"]
    assert PersonalAccount.objects.count() == 2


def test_a_same_named_object_in_done_is_kept(s3, sverdlovsk):
    put(s3, "accounts.csv", csv_bytes(GOOD))
    pickup(via="tests")
    put(s3, "accounts.csv", csv_bytes(GOOD, "66,660100000002,Екатеринбург,ул. Малышева,12а,6,,,"))
    pickup(via="tests")
    assert keys(s3, "billing/in/done/") == ["billing/in/done/accounts-2.csv", "billing/in/done/accounts.csv"]


def test_the_nightly_export_writes_the_folder_and_uploads_to_s3(s3, account, settings):
    add_reading(make_meter(account, serial="SN-42"), NOV, 1200)
    result = export_for_billing.delay().get()
    batch = ExportBatch.objects.get(kind="readings")
    assert batch.status == ExportBatch.Status.DONE and batch.source == "задача Celery"
    local = settings.KABINET_EXCHANGE_OUT_DIR / "sent" / batch.file_name  # moved there once uploaded
    assert local.exists() and f"uploaded to S3: {batch.file_name}" in result
    body = s3.get_object(Bucket=s3.bucket, Key=f"billing/out/{batch.file_name}")["Body"].read()
    assert body == local.read_bytes() and b",SN-42,2026-11,1200," in body
    # Nothing new: no file, nothing uploaded again.
    again = export_for_billing.delay().get()
    assert "uploaded to S3: nothing" in again and keys(s3, "billing/out/") == [f"billing/out/{batch.file_name}"]


def test_an_upload_that_failed_is_made_by_the_next_run(s3, account, settings):
    add_reading(make_meter(account, serial="SN-42"), NOV, 1200)
    bucket = settings.KABINET_EXCHANGE_S3_BUCKET
    settings.KABINET_EXCHANGE_S3_BUCKET = "kabinet-no-such-bucket"
    export_failed = export_for_billing.apply()
    assert export_failed.failed()  # the file is in the folder, the upload raised
    settings.KABINET_EXCHANGE_S3_BUCKET = bucket
    assert keys(s3, "billing/out/") == []
    export_for_billing.delay().get()
    batch = ExportBatch.objects.exclude(file_name="").get()  # the second run had nothing new
    assert keys(s3, "billing/out/") == [f"billing/out/{batch.file_name}"]


def test_the_export_command_uploads_too(s3, account, settings, capsys):
    """Embedded mode (cron runs the commands, no Celery): the export still reaches the bucket."""
    from django.core.management import call_command

    add_reading(make_meter(account, serial="SN-42"), NOV, 1200)
    call_command("export_readings")
    batch = ExportBatch.objects.get(kind="readings")
    assert keys(s3, "billing/out/") == [f"billing/out/{batch.file_name}"]
    assert f"Загружено в S3: {batch.file_name}" in capsys.readouterr().out
    assert (settings.KABINET_EXCHANGE_OUT_DIR / "sent" / batch.file_name).exists()


def test_a_file_billing_deleted_after_reading_is_not_sent_again(s3, account, settings):
    add_reading(make_meter(account, serial="SN-42"), NOV, 1200)
    export_for_billing.delay().get()
    batch = ExportBatch.objects.get(kind="readings")
    s3.delete_object(Bucket=s3.bucket, Key=f"billing/out/{batch.file_name}")  # billing read it
    again = export_for_billing.delay().get()
    assert "uploaded to S3: nothing" in again and keys(s3, "billing/out/") == []


def test_in_the_shared_files_bucket_the_exchange_keeps_to_its_prefix(settings, shared_s3, drop, sverdlovsk):
    """Without a bucket of its own the exchange works under exchange/ of the files' bucket
    (settings: KABINET_S3_BUCKET alone); the attachments beside it are never listed or moved."""
    from django.core.files.base import ContentFile

    from kabinet.core.storage import private_storage

    settings.KABINET_EXCHANGE_S3_BUCKET = shared_s3.bucket
    settings.KABINET_EXCHANGE_S3_ENDPOINT_URL = settings.KABINET_S3_ENDPOINT_URL
    settings.KABINET_EXCHANGE_S3_ACCESS_KEY_ID = settings.KABINET_S3_ACCESS_KEY_ID
    settings.KABINET_EXCHANGE_S3_SECRET_ACCESS_KEY = settings.KABINET_S3_SECRET_ACCESS_KEY
    settings.KABINET_EXCHANGE_S3_IN_PREFIX, settings.KABINET_EXCHANGE_S3_OUT_PREFIX = "exchange/in/", "exchange/out/"
    bill = private_storage().save("bills/2026/11/a.csv", ContentFile(b"not an exchange file"))
    shared_s3.put_object(Bucket=shared_s3.bucket, Key="exchange/in/accounts_1.csv", Body=csv_bytes(GOOD))
    [item] = pickup(via="tests")
    assert item.batch.status == ImportBatch.Status.DONE
    meter = make_meter(PersonalAccount.objects.get(number="660100000001"))
    add_reading(meter, NOV, 1234)
    export_for_billing()
    found = keys(shared_s3)
    assert f"attachments/{bill}" in found and "exchange/in/done/accounts_1.csv" in found
    assert [key for key in found if key.startswith("exchange/out/readings-")], found
    assert all(key.startswith(("attachments/", "exchange/")) for key in found), found
