import io
import logging
import uuid

import pytest

from kabinet.exchange.runner import run_import
from tests.factories import ACCOUNTS_HEADER as HEADER
from tests.factories import csv_bytes


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


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 server (moto) on a free port of 127.0.0.1, for the whole run."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(settings, s3_server, drop):
    """A fresh bucket on the local S3 server, configured as the exchange's storage; a client."""
    import boto3

    settings.KABINET_EXCHANGE_S3_BUCKET = f"kabinet-{uuid.uuid4().hex[:12]}"
    settings.KABINET_EXCHANGE_S3_ENDPOINT_URL = s3_server
    settings.KABINET_EXCHANGE_S3_ACCESS_KEY_ID = "kabinet-test"
    settings.KABINET_EXCHANGE_S3_SECRET_ACCESS_KEY = "kabinet-test-secret"
    settings.KABINET_EXCHANGE_S3_IN_PREFIX = "billing/in/"
    settings.KABINET_EXCHANGE_S3_OUT_PREFIX = "billing/out/"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="kabinet-test",
        aws_secret_access_key="kabinet-test-secret",
    )
    client.create_bucket(Bucket=settings.KABINET_EXCHANGE_S3_BUCKET)
    client.bucket = settings.KABINET_EXCHANGE_S3_BUCKET
    return client


@pytest.fixture
def demo_acquirer(settings):
    """Online payments go through the demo acquirer («Тестовая оплата»): DEBUG on, no ЮKassa shop."""
    settings.DEBUG = True
    settings.KABINET_YOOKASSA_SHOP_ID = settings.KABINET_YOOKASSA_SECRET_KEY = ""
