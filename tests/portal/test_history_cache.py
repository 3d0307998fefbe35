"""«Начисления и платежи» keeps its charts and months rendered in the cache (portal.fragments),
keyed by the rows they show: the page shows new data right after whatever changed it."""

from datetime import date
import io

from django.urls import reverse
import pytest

from kabinet.billing.models import Payment, Service
from kabinet.exchange.runner import run_import
from tests.factories import csv_bytes, customer_login, make_billed, paid_in_demo

HISTORY = "portal/accounts/_history.html"
ACCRUALS = "region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason"


@pytest.fixture
def demo_acquirer(settings):
    """DEBUG on, no shop: the demo acquirer takes the payment, as in `make run`."""
    settings.DEBUG, settings.ROOT_URLCONF = True, "tests.core.urls_with_outbox"
    settings.KABINET_YOOKASSA_SHOP_ID = settings.KABINET_YOOKASSA_SECRET_KEY = ""


@pytest.fixture
def page(client, customer, account):
    make_billed(account)  # September and October 2026 billed, 1 000 ₽ paid on 05.10.2026
    customer_login(client, customer)

    def page():
        response = client.get(reverse("portal:account", args=[account.pk]))
        assert response.status_code == 200
        return response

    return page


def drawn(response) -> bool:
    return HISTORY in [t.name for t in response.templates]


def test_the_history_is_drawn_once_and_then_served_from_the_cache(page):
    first, second = page(), page()
    assert drawn(first) and not drawn(second)
    assert part(first) == part(second)  # the rest differs: CSP nonce, CSRF token


def part(response) -> str:
    text = response.content.decode()
    return text[text.index('aria-labelledby="charts-title"') : text.rindex("</section>")]


def test_an_online_payment_shows_at_once(page, customer, account, demo_acquirer):
    page()
    paid_in_demo(customer, account, "321.00")
    response = page()
    assert drawn(response)
    assert "321,00\u00a0₽ (" in response.content.decode()


def test_an_accruals_import_shows_at_once(page, account):
    page()
    november = f"66,{account.number},2026-11,electricity,1,100,6.7100,671.00,,"
    batch = run_import("accruals", io.BytesIO(csv_bytes(november, header=ACCRUALS)), file_name="a.csv", source="t")
    assert batch.status == "done", batch.message
    text = page().content.decode()
    assert "Начисления за ноябрь\u00a02026" in text and "671,00\u00a0₽" in text


def test_an_edit_that_leaves_the_balances_alone_shows_at_once(page, account):
    """A payment moved within its month and a service renamed in /admin/ rebuild no balance:
    the key is the rows themselves, not a version someone must bump."""
    page()
    Payment.objects.filter(account=account).update(paid_on=date(2026, 10, 7))
    Service.objects.filter(code="electricity").update(name="Электроэнергия")
    text = page().content.decode()
    assert "07.10.2026" in text and "05.10.2026" not in text
    assert "Электроэнергия (Т1)" in text
