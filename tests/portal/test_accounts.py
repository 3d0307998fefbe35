"""Home cards and «Начисления и платежи»: what is owed and why, with charts and a text table,
in the same number of queries whatever the length of the history."""

from datetime import date
from decimal import Decimal
import re

from django.urls import reverse
import pytest

from kabinet.billing.balances import rebuild_balances
from kabinet.billing.models import Accrual, Payment, Service
from kabinet.billing.periods import add_months, next_month
from kabinet.portal.charts import Bar, bar_chart
from tests.factories import customer_login


@pytest.fixture
def electricity(db):
    return Service.objects.create(code="electricity", name="Электроснабжение", unit="кВт·ч")


def history(account, service, months: int, *, paid_share="1"):
    """`months` months ending in October 2026, each 1000 ₽ accrued and paid the next month."""
    Accrual.objects.filter(account=account).delete()
    Payment.objects.filter(account=account).delete()
    for period in (add_months(date(2026, 10, 1), -back) for back in range(months)):
        Accrual.objects.create(account=account, period=period, service=service, zone="", volume=Decimal("200"),
                               tariff=Decimal("5.0000"), amount=Decimal("1000.00"))  # fmt: skip
        paid_on = next_month(period).replace(day=5)
        if paid_on <= date(2026, 11, 25):
            Payment.objects.create(account=account, paid_on=paid_on, amount=Decimal("1000.00") * Decimal(paid_share),
                                   channel="online")  # fmt: skip
    rebuild_balances(account)


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


def test_home_card_debt_due_date_and_last_payment(signed_in, account, electricity):
    history(account, electricity, 3, paid_share="0.5")
    page = signed_in.get(reverse("portal:home")).content.decode()
    # August to October, 1000 ₽ each, each paid half the next month: 3000 − 1500 = 1500 ₽ owed.
    assert "К оплате: <strong>1\u00a0500,00\u00a0₽</strong>" in page
    assert "Оплатить до" in page and "10.11.2026" in page and "срок прошёл" in page
    assert "Последний платёж" in page and "500,00\u00a0₽, 05.11.2026" in page
    assert reverse("portal:account", args=[account.pk]) in page


def test_home_card_overpayment(signed_in, account, electricity):
    history(account, electricity, 2, paid_share="1.5")
    page = signed_in.get(reverse("portal:home")).content.decode()
    assert "Переплата: <strong>" in page and "Оплатить до" not in page


def test_accruals_page_months_services_recalculation_payments(signed_in, account, electricity):
    history(account, electricity, 3)
    accrual = Accrual.objects.get(period=date(2026, 9, 1))
    accrual.recalculation = Decimal("-120.35")
    accrual.recalculation_reason = "Показания контролёра"
    accrual.tariff = Decimal("3079.5400")
    accrual.save()
    rebuild_balances(account)
    page = signed_in.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert '<td data-label="Тариф, ₽">3\u00a0079,54</td>' in page, "grouped, without trailing zeros"
    for text in ["Начисления и платежи", "Октябрь 2026", "Электроснабжение", "200 кВт·ч", "1\u00a0000,00\u00a0₽",
                 "−120,35\u00a0₽", "Показания контролёра", "05.10.2026", "Онлайн: СБП или карта",
                 '<svg class="chart"', "Таблица данных графиков"]:  # fmt: skip
        assert text in page, text


def test_the_balance_chart_writes_money_as_money(signed_in, account, electricity):
    """Each bar's title names the month and the amount as billing.money writes it, not «2000.00 ₽»."""
    history(account, electricity, 3, paid_share="0.5")
    page = signed_in.get(reverse("portal:account", args=[account.pk])).content.decode()
    # August to October, 1000 ₽ each, each paid half the next month: 1000 + 1000 − 500 + 1000 − 500.
    assert "<title>Октябрь 2026: 2\u00a0000,00\u00a0₽</title>" in page
    assert "<title>Октябрь 2026: 200 кВт·ч</title>" in page


def test_accruals_page_query_count_does_not_grow_with_history(
    signed_in, account, electricity, django_assert_num_queries
):
    history(account, electricity, 2)
    url = reverse("portal:account", args=[account.pk])
    signed_in.get(url)  # warm the session and caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as short_hit:
        signed_in.get(url)
    history(account, electricity, 3)
    with CaptureQueriesContext(connection) as short_drawn:
        signed_in.get(url)
    history(account, electricity, 24)
    # Drawn, then from the cache (on PostgreSQL a hit reads the history's digest alone).
    with django_assert_num_queries(len(short_drawn.captured_queries)):
        page = signed_in.get(url).content.decode()
    assert page.count('class="card month"') == 24
    with django_assert_num_queries(len(short_hit.captured_queries)):
        assert signed_in.get(url).content.decode().count('class="card month"') == 24


def test_home_query_count_does_not_grow_with_history(signed_in, account, electricity):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    history(account, electricity, 2)
    signed_in.get(reverse("portal:home"))
    with CaptureQueriesContext(connection) as short:
        signed_in.get(reverse("portal:home"))
    history(account, electricity, 24)
    with CaptureQueriesContext(connection) as long:
        signed_in.get(reverse("portal:home"))
    assert len(long.captured_queries) == len(short.captured_queries)


def test_account_without_history(signed_in, account):
    page = signed_in.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert "Начислений по этому лицевому счёту пока нет" in page


def test_chart_is_accessible_svg_with_negative_bars():
    bars = [Bar("09.26", "Сентябрь: 500 ₽", Decimal("500")), Bar("10.26", "Октябрь: −200 ₽", Decimal("-200"))]
    svg = str(bar_chart(bars, chart_id="c", title="Сальдо <и> долг", unit="₽"))
    assert svg.startswith('<svg class="chart"') and 'role="img"' in svg and 'aria-labelledby="c-title c-desc"' in svg
    assert "Сальдо &lt;и&gt; долг" in svg  # titles are escaped
    assert svg.count("<rect") == 2 and "chart-bar-negative" in svg
    assert "<script" not in svg and "style=" not in svg
    assert bar_chart([], chart_id="e", title="", unit="") == ""


def open_months(page: str) -> list[str]:
    """The names of the months the page shows open."""
    return re.findall(r'<details class="card month" open>\s*<summary>\s*<span class="month-name">([^<]+)<', page)


def test_the_month_shown_open_is_the_latest_with_accruals(signed_in, account, electricity):
    # August to October billed; November so far holds only October's payment.
    history(account, electricity, 3)
    page = signed_in.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert "Ноябрь 2026" in page
    assert open_months(page) == ["Октябрь 2026"]


def test_a_month_that_only_has_payments_opens_when_nothing_is_billed(signed_in, account):
    Payment.objects.create(account=account, paid_on=date(2026, 11, 5), amount=Decimal("300.00"), channel="bank")
    rebuild_balances(account)
    page = signed_in.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert open_months(page) == ["Ноябрь 2026"]


def test_the_opening_balance_says_debt_or_overpayment_like_the_closing(signed_in, account, electricity):
    # Each month 1000 ₽ accrued, paid in half the next: August opens at 0, September at 1000 ₽ owed.
    history(account, electricity, 3, paid_share="0.5")
    page = signed_in.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert "<dt>На начало месяца</dt><dd>долга нет</dd>" in page
    assert "<dt>На начало месяца</dt><dd>долг 1\u00a0000,00\u00a0₽</dd>" in page
    assert "долг на конец 1\u00a0000,00\u00a0₽" in page
    history(account, electricity, 4, paid_share="1.5")  # 1000, 500, 0, then 500 overpaid from October
    page = signed_in.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert "<dt>На начало месяца</dt><dd>переплата 500,00\u00a0₽</dd>" in page
    assert "переплата на конец 500,00\u00a0₽" in page


def test_a_payment_names_its_channel_without_brackets_in_brackets(signed_in, account, electricity):
    history(account, electricity, 2)
    page = signed_in.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert "05.10.2026 — 1\u00a0000,00\u00a0₽ (Онлайн: СБП или карта)" in page
    assert not re.search(r"\([^()<]*\(", page), "a bracket inside a bracket"


def test_no_debt_is_said_the_same_on_the_home_card_and_the_accruals_page(signed_in, account, electricity):
    history(account, electricity, 3)  # each month paid in full the next: nothing owed after November's payment
    home = signed_in.get(reverse("portal:home")).content.decode()
    detail = signed_in.get(reverse("portal:account", args=[account.pk])).content.decode()
    assert "<p>Задолженности нет</p>" in home and "<p>Задолженности нет</p>" in detail
    assert "Задолженности нет." not in detail
