"""«Начисления и платежи» keeps its charts and months rendered in the cache (portal.fragments),
keyed by the rows they show: the page shows new data right after whatever changed it."""

from collections import Counter
from datetime import date
import io

from django.db.models.signals import post_init
from django.urls import reverse
import pytest

from kabinet.billing.history import account_history
from kabinet.billing.models import Accrual, MonthBalance, Payment, Service
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


@pytest.fixture
def made():
    """Model instances made, by model name (every model's `post_init`)."""
    counts = Counter()

    def count(sender, **kwargs):
        counts[sender.__name__] += 1

    post_init.connect(count, weak=False)
    yield counts
    post_init.disconnect(count)


def test_from_the_cache_the_page_makes_no_accruals_or_payments(page, made):
    """A cache hit digests the history's rows and makes only the latest balance, for the card:
    making the months' instances was a fifth of the page's CPU (docs/performance.md «6b.»)."""
    assert drawn(page())
    assert made["Accrual"] == 6 and made["Payment"] == 1 and made["MonthBalance"] == 2
    made.clear()
    response = page()
    assert not drawn(response)
    assert made["Accrual"] == made["Service"] == made["Payment"] == 0
    assert made["MonthBalance"] == 1
    assert "К оплате: <strong>" in response.content.decode()


def change_a_payments_date(account):
    Payment.objects.filter(account=account).update(paid_on=date(2026, 10, 7))


def rename_a_service(account):
    Service.objects.filter(code="electricity").update(name="Электроэнергия")


def import_accruals(account):
    november = f"66,{account.number},2026-11,electricity,1,100,6.7100,671.00,,"
    batch = run_import("accruals", io.BytesIO(csv_bytes(november, header=ACCRUALS)), file_name="a.csv", source="t")
    assert batch.status == "done", batch.message


def change_an_accruals_reason(account):
    Accrual.objects.filter(account=account).exclude(recalculation_reason="").update(recalculation_reason="Иное")


def change_a_closing_balance(account):
    MonthBalance.objects.filter(account=account, period=date(2026, 9, 1)).update(closing=1)


@pytest.mark.parametrize(
    "change",
    [change_a_payments_date, rename_a_service, import_accruals, change_an_accruals_reason, change_a_closing_balance],
)
def test_the_fingerprint_changes_with_any_row_and_only_then(account, change):
    make_billed(account)
    before = account_history(account).fingerprint()
    assert account_history(account).fingerprint() == before
    Payment.objects.filter(account=account).update(channel="online")  # as it was: nothing changes
    assert account_history(account).fingerprint() == before
    change(account)
    assert account_history(account).fingerprint() != before


def test_an_online_payment_changes_the_fingerprint(customer, account, demo_acquirer):
    make_billed(account)
    before = account_history(account).fingerprint()
    paid_in_demo(customer, account, "321.00")
    assert account_history(account).fingerprint() != before
