"""«Квитанции» keeps its months drawn in the cache (portal.fragments.bill_months_html), keyed by
the rows they show: a new bill or a changed balance shows on the very next view. On PostgreSQL
the rows are digested by the database in the account's statement
(billing.bill_jobs.customer_account_and_subscription), elsewhere by Python from the rows read:
both are tested by the same changes (this suite runs on both)."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.billing.bill_jobs import WINDOW_MONTHS, customer_account_and_subscription
from kabinet.billing.models import Accrual, MonthBalance
from kabinet.billing.periods import add_months
from tests.factories import accrue, customer_login, make_account, make_billed, make_customer

PART = "portal/bills/_months.html"


def this_month() -> date:
    return timezone.localdate().replace(day=1)


@pytest.fixture
def billed(account) -> date:
    """Last month and the month before billed (make_billed), as the demo is."""
    period = add_months(this_month(), -1)
    make_billed(account, period=period)
    return period


@pytest.fixture
def page(client, customer, account, billed):
    customer_login(client, customer)

    def page():
        response = client.get(reverse("portal:bills", args=[account.pk]))
        assert response.status_code == 200
        return response

    return page


def drawn(response) -> bool:
    return PART in [t.name for t in response.templates]


def months(response) -> str:
    text = response.content.decode()
    return text[text.index('<section aria-labelledby="bills-title">') : text.rindex("</section>")]


def test_the_months_are_drawn_once_and_then_served_from_the_cache(page):
    first, second = page(), page()
    assert drawn(first) and not drawn(second)
    assert months(first) == months(second)  # the rest differs: CSP nonce, CSRF token
    assert months(first).count("Скачать PDF") == 2


def a_new_bill(account, billed):
    accrue(account, this_month())


def a_balance_changed(account, billed):
    MonthBalance.objects.filter(account=account, period=billed).update(closing=Decimal("-1.00"))


def a_balance_for_a_month_without_one(account, billed):
    older = add_months(billed, -5)
    accrue(account, older)
    return older


def balances_swapped_between_months(account, billed):
    """Summed, the rows' hashes would not see values swapped between rows."""
    last, before = (MonthBalance.objects.get(account=account, period=p) for p in (billed, add_months(billed, -1)))
    MonthBalance.objects.filter(pk=last.pk).update(closing=before.closing)
    MonthBalance.objects.filter(pk=before.pk).update(closing=last.closing)


def a_months_accruals_deleted(account, billed):
    Accrual.objects.filter(account=account, period=billed).delete()


CHANGES = [a_new_bill, a_balance_changed, balances_swapped_between_months, a_months_accruals_deleted]


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_of_what_it_shows_shows_at_once(page, account, billed, change):
    before = months(page())
    assert not drawn(page())
    change(account, billed)
    after = page()
    assert drawn(after) and months(after) != before


def test_a_new_bill_is_on_the_next_view(page, account, billed):
    page()
    accrue(account, this_month())
    shown = months(page())
    assert shown.count("Скачать PDF") == 3
    assert f"/bills/{this_month():%Y-%m}/" in shown


def test_a_balance_made_for_a_month_shows_on_the_next_view(page, account, billed):
    older = a_balance_for_a_month_without_one(account, billed)
    assert "<td>—</td>" in months(page())
    zero = Decimal(0)
    MonthBalance.objects.create(
        account=account, period=older, opening=zero, accrued=zero, paid=zero, closing=Decimal("12.30")
    )
    shown = months(page())
    assert "<td>—</td>" not in shown and "к оплате 12,30" in shown


def test_the_window_moving_drops_the_oldest_month(page, account, billed, monkeypatch):
    oldest = add_months(this_month(), -WINDOW_MONTHS)
    accrue(account, oldest)
    assert f"/bills/{oldest:%Y-%m}/" in months(page())
    next_month = add_months(this_month(), 1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: next_month + timedelta(days=2))
    after = page()
    assert drawn(after) and f"/bills/{oldest:%Y-%m}/" not in months(after)


def test_without_bills_the_empty_state_is_kept_and_a_first_bill_shows(client, customer, account):
    customer_login(client, customer)
    url = reverse("portal:bills", args=[account.pk])
    assert "Квитанций по этому лицевому счёту пока нет." in client.get(url).content.decode()
    assert not drawn(client.get(url))
    accrue(account, add_months(this_month(), -1))
    shown = client.get(url).content.decode()
    assert "пока нет" not in shown and "Скачать PDF" in shown


def test_the_digest_is_of_the_accounts_own_months(customer, account, billed, sverdlovsk):
    if connection.vendor != "postgresql":
        pytest.skip("the rows digested by the database are PostgreSQL's (elsewhere: by Python)")
    other = make_account(sverdlovsk, "660100000055", house="5")
    stranger = make_customer("+79120000055", other)
    make_billed(other, period=billed)  # billed alike, another account

    def digests() -> tuple[str, str]:
        ours = customer_account_and_subscription(customer, account.pk)[0].months_digest
        return ours, customer_account_and_subscription(stranger, other.pk)[0].months_digest

    before = digests()
    assert before[0] and before[0] == before[1]  # the same months and balances: the key holds the account
    MonthBalance.objects.filter(account=other).update(closing=Decimal("1.00"))
    after = digests()
    assert after[0] == before[0] and after[1] != before[1]


def test_accounts_billed_alike_each_show_their_own_links(client, page, account, billed, sverdlovsk):
    mine = months(page())
    other = make_account(sverdlovsk, "660100000055", house="5")
    make_billed(other, period=billed)
    customer_login(client, make_customer("+79120000055", other))
    theirs = months(client.get(reverse("portal:bills", args=[other.pk])))
    assert theirs == mine.replace(f"/accounts/{account.pk}/", f"/accounts/{other.pk}/") and theirs != mine


def test_a_hit_reads_the_user_and_the_account_only(page):
    page()
    if connection.vendor != "postgresql":
        pytest.skip("elsewhere the rows are read to be digested")
    with CaptureQueriesContext(connection) as captured:
        assert not drawn(page())
    # The session aside (from the database or from Redis, as configured).
    statements = [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]
    assert len(statements) == 2, statements  # the user, the account with its e-bill and the digest


def test_a_customer_never_gets_anothers_bills(client, page, account, sverdlovsk):
    page()  # hers, kept
    other = make_account(sverdlovsk, "660100000055", house="5")
    stranger = make_customer("+79120000055", other)
    customer_login(client, stranger)
    assert client.get(reverse("portal:bills", args=[account.pk])).status_code == 404
    theirs = client.get(reverse("portal:bills", args=[other.pk])).content.decode()
    assert "пока нет" in theirs and "Скачать PDF" not in theirs
