"""Meters and readings for tests: a meter on an account and its readings by month."""

import pytest

from kabinet.readings.models import Meter
from tests.factories import make_meter


@pytest.fixture
def meter(account) -> Meter:
    return make_meter(account)


@pytest.fixture
def two_zone(account) -> Meter:
    return make_meter(account, zones=2, serial="76543210")
