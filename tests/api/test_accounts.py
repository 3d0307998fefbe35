"""GET /accounts, /accounts/{id}, its charges by month and its payments: the home card's and the
«Начисления и платежи» page's figures, from the same billing functions."""

from datetime import date

from django.core.cache import cache
import pytest

from kabinet.billing.models import Payment
from tests.factories import PERIOD, access_token, api_token, bearer, make_account, make_billed, make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(account):
    make_billed(account)  # September billed and unpaid (500,00), October with -200 and 1000 paid
    return account


@pytest.fixture
def headers(customer):
    return bearer(access_token(customer))


def test_accounts_list_has_the_home_cards_figures(client, customer, billed, headers):
    response = client.get("/api/v1/accounts", headers=headers)
    assert response.status_code == 200
    [card] = response.json()
    assert card["id"] == billed.pk and card["number"] == "660100000001"
    assert card["region"] == {"code": "66", "name": "Свердловский", "contact_phone": "8-800-700-10-32"}
    assert card["address"].startswith("г.\u00a0")
    closing = billed.balances.order_by("-period").first().closing
    assert card["balance"] == str(closing)
    assert card["due_date"] == "2026-11-10"  # October's bill, due on the region's 10th
    assert card["last_payment"] == {"paid_on": "2026-10-05", "amount": "1000.00", "channel": "online",
                                    "channel_name": "Онлайн: СБП или карта"}  # fmt: skip


def test_an_account_without_history_has_no_balance(client, customer, account, headers):
    card = client.get(f"/api/v1/accounts/{account.pk}", headers=headers).json()
    assert card["balance"] is None and card["due_date"] is None and card["last_payment"] is None
    assert card["to_pay"] == "0.00"


def test_another_customers_account_is_not_found(client, customer, sverdlovsk, headers):
    other = make_account(sverdlovsk, "660100000002")
    make_customer("+79120000002", other)
    response = client.get(f"/api/v1/accounts/{other.pk}", headers=headers)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Лицевой счёт не найден."


def test_a_token_scoped_to_one_account_lists_only_it(client, customer, sverdlovsk, account):
    second = make_account(sverdlovsk, "660100000003")
    customer.account_links.create(account=second)
    token = bearer(api_token(customer, second, write=False))
    assert [a["id"] for a in client.get("/api/v1/accounts", headers=token).json()] == [second.pk]
    assert client.get(f"/api/v1/accounts/{account.pk}", headers=token).status_code == 404


def test_a_personal_token_lists_accounts_in_two_queries(
    client, customer, sverdlovsk, billed, django_assert_num_queries
):
    """The token with its user and the employee check; the accounts (the token's scope a
    subquery) with their latest balance and payment as columns: what bench/api.py measures,
    kept from growing. Asked again within api.read_cache.SECONDS: the token check alone."""
    second = make_account(sverdlovsk, "660100000003")
    customer.account_links.create(account=second)
    token = bearer(api_token(customer, billed, second, write=False))
    client.get("/api/v1/accounts", headers=token)  # the first use writes last_used_at
    cache.clear()  # ...and kept its answer: forget it
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/accounts", headers=token).json()) == 2
    with django_assert_num_queries(1):
        assert len(client.get("/api/v1/accounts", headers=token).json()) == 2


def test_charges_by_month_with_services_recalculations_and_payments(client, customer, billed, headers):
    response = client.get(f"/api/v1/accounts/{billed.pk}/charges?from=2026-09&to=2026-10", headers=headers)
    assert response.status_code == 200
    october, september = response.json()
    assert [october["period"], september["period"]] == ["2026-10", "2026-09"]
    assert october["opening"] == september["closing"] == "500.00"
    assert october["recalculations"] == "-200.00"
    assert october["paid"] == "1000.00"
    assert [p["amount"] for p in october["payments"]] == ["1000.00"]
    water = next(c for c in october["charges"] if c["service_code"] == "hot-water")
    assert water["recalculation"] == "-200.00" and water["recalculation_reason"].startswith("Перерасчёт")
    assert {c["zone"] for c in october["charges"]} == {"Т1", "Т2", ""}
    balance = billed.balances.get(period=PERIOD)
    assert october["closing"] == str(balance.closing) and october["accrued"] == str(balance.accrued)


def test_charges_of_one_month(client, customer, billed, headers):
    months = client.get(f"/api/v1/accounts/{billed.pk}/charges?from=2026-09&to=2026-09", headers=headers).json()
    assert [m["period"] for m in months] == ["2026-09"]


@pytest.mark.parametrize(
    ("query", "field"), [("from=2026-13", "from"), ("to=октябрь", "to"), ("from=2026-10&to=2026-09", "to")]
)
def test_charges_refuse_a_bad_span(client, customer, billed, headers, query, field):
    response = client.get(f"/api/v1/accounts/{billed.pk}/charges?{query}", headers=headers)
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_payments_come_in_pages_newest_first(client, customer, billed, headers):
    for day in (1, 2, 3):
        Payment.objects.create(account=billed, paid_on=date(2026, 11, day), amount="10.00", channel="bank")
    response = client.get(f"/api/v1/accounts/{billed.pk}/payments?limit=2&offset=1", headers=headers)
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 4
    assert [p["paid_on"] for p in page["items"]] == ["2026-11-02", "2026-11-01"]
    assert page["items"][0]["channel_name"] == "Банк"


def test_reads_answer_304_to_their_etag(client, customer, billed, headers):
    first = client.get("/api/v1/accounts", headers=headers)
    again = client.get("/api/v1/accounts", headers={**headers, "If-None-Match": first["ETag"]})
    assert again.status_code == 304
    Payment.objects.create(account=billed, paid_on=date(2026, 11, 20), amount="10.00", channel="bank")
    changed = client.get("/api/v1/accounts", headers={**headers, "If-None-Match": first["ETag"]})
    assert changed.status_code == 200


@pytest.mark.parametrize("query", ["offset=-1", "offset=14908651298093598244864", "limit=0", "limit=201"])
def test_pages_refuse_what_no_list_has(client, customer, billed, headers, query):
    response = client.get(f"/api/v1/accounts/{billed.pk}/payments?{query}", headers=headers)
    assert response.status_code == 422
    assert set(response.json()["errors"]) <= {"limit", "offset"}
