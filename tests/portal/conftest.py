import pytest


@pytest.fixture
def demo_acquirer(settings):
    """DEBUG on, no shop: the demo acquirer takes the payment, as in `make run`."""
    settings.DEBUG, settings.ROOT_URLCONF = True, "tests.core.urls_with_outbox"
    settings.KABINET_YOOKASSA_SHOP_ID = settings.KABINET_YOOKASSA_SECRET_KEY = ""
