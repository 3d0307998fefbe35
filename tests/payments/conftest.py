import pytest

from tests.factories import make_account, make_customer
from tests.payments.fake_yookassa import SECRET_KEY, SHOP_ID, FakeYooKassa


@pytest.fixture
def yookassa(settings):
    """A running local ЮKassa look-alike, and settings that point Kabinet at it."""
    api = FakeYooKassa()
    api.thread.start()
    settings.KABINET_YOOKASSA_SHOP_ID = SHOP_ID
    settings.KABINET_YOOKASSA_SECRET_KEY = SECRET_KEY
    settings.KABINET_YOOKASSA_API_URL = api.url
    settings.KABINET_YOOKASSA_TIMEOUT = 0.5
    yield api
    api.server.shutdown()
    api.server.server_close()


@pytest.fixture
def account(sverdlovsk):
    return make_account(sverdlovsk, "660100000001")


@pytest.fixture
def customer(account):
    return make_customer("+79120000001", account)
