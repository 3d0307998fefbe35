import io

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
