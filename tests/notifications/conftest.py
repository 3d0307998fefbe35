import pytest

from tests.notifications.fake_smsc import LOGIN, PASSWORD, FakeSmsc


@pytest.fixture
def smsc(settings):
    """A running local SMSC.ru look-alike, and settings that point the `http` backend at it."""
    gateway = FakeSmsc()
    gateway.thread.start()
    settings.KABINET_SMS_BACKEND = "http"
    settings.KABINET_SMS_HTTP_URL = gateway.url
    settings.KABINET_SMS_HTTP_LOGIN = LOGIN
    settings.KABINET_SMS_HTTP_PASSWORD = PASSWORD
    settings.KABINET_SMS_HTTP_SENDER = "Energo"
    settings.KABINET_SMS_HTTP_TIMEOUT = 2
    yield gateway
    gateway.server.shutdown()
    gateway.server.server_close()
