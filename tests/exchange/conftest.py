import io
import uuid

import pytest

from kabinet.exchange.runner import run_import
from tests.factories import ACCOUNTS_HEADER as HEADER
from tests.factories import S3_KEY, S3_SECRET, csv_bytes, s3_client


@pytest.fixture
def load(sverdlovsk):
    """Run the accounts import on rows (or on raw bytes); the batch."""

    def load(*rows: str, header: str = HEADER, data: bytes | None = None, name="accounts.csv", **options):
        content = csv_bytes(*rows, header=header) if data is None else data
        return run_import("accounts", io.BytesIO(content), file_name=name, source="tests", **options)

    return load


@pytest.fixture
def drop(settings, tmp_path):
    """The drop folder `in/` (and the out folder) in tmp_path, files picked up at once, no S3."""
    settings.KABINET_EXCHANGE_IN_DIR = tmp_path / "in"
    settings.KABINET_EXCHANGE_OUT_DIR = tmp_path / "out"
    settings.KABINET_EXCHANGE_SETTLE_SECONDS = 0
    settings.KABINET_EXCHANGE_S3_BUCKET = ""
    settings.KABINET_EXCHANGE_IN_DIR.mkdir()
    return settings.KABINET_EXCHANGE_IN_DIR


@pytest.fixture
def s3(settings, s3_server, drop):
    """A fresh bucket on the local S3 server, configured as the exchange's storage; a client."""
    settings.KABINET_EXCHANGE_S3_BUCKET = f"kabinet-{uuid.uuid4().hex[:12]}"
    settings.KABINET_EXCHANGE_S3_ENDPOINT_URL = s3_server
    settings.KABINET_EXCHANGE_S3_ACCESS_KEY_ID, settings.KABINET_EXCHANGE_S3_SECRET_ACCESS_KEY = S3_KEY, S3_SECRET
    settings.KABINET_EXCHANGE_S3_IN_PREFIX = "billing/in/"
    settings.KABINET_EXCHANGE_S3_OUT_PREFIX = "billing/out/"
    client = s3_client(s3_server)
    client.create_bucket(Bucket=settings.KABINET_EXCHANGE_S3_BUCKET)
    client.bucket = settings.KABINET_EXCHANGE_S3_BUCKET
    return client


@pytest.fixture
def demo_acquirer(settings):
    """Online payments go through the demo acquirer («Тестовая оплата»): DEBUG on, no ЮKassa shop."""
    settings.DEBUG = True
    settings.KABINET_YOOKASSA_SHOP_ID = settings.KABINET_YOOKASSA_SECRET_KEY = ""
