import io

import pytest

from kabinet.exchange.runner import run_import

HEADER = "region,number,city,street,house,flat,status,replaced_by,closed_on"


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


@pytest.fixture
def load(sverdlovsk):
    """Run the accounts import on rows (or on raw bytes); the batch."""

    def load(*rows: str, header: str = HEADER, data: bytes | None = None, name="accounts.csv", **options):
        content = csv_bytes(*rows, header=header) if data is None else data
        return run_import("accounts", io.BytesIO(content), file_name=name, source="tests", **options)

    return load
