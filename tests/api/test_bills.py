"""GET /accounts/{id}/bills and a bill's PDF: the months of the «Квитанции» page and the very
file the page gives."""

from django.urls import reverse
import pytest

from tests.factories import PERIOD, access_token, bearer, customer_login, make_billed, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(account):
    make_billed(account)
    return account


@pytest.fixture
def headers(customer):
    return bearer(access_token(customer))


def test_the_bills_list_the_billed_months(client, customer, billed, headers):
    response = client.get(f"/api/v1/accounts/{billed.pk}/bills", headers=headers)
    assert response.status_code == 200
    october, september = response.json()
    assert october["period"] == "2026-10" and september["period"] == "2026-09"
    assert october["to_pay"] == str(max(billed.balances.get(period=PERIOD).closing, 0))
    assert october["pdf_url"] == f"/api/v1/accounts/{billed.pk}/bills/2026-10.pdf"


def test_the_pdf_is_the_pages_pdf(client, customer, billed, headers):
    response = client.get(f"/api/v1/accounts/{billed.pk}/bills/2026-10.pdf", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="kvitanciya-660100000001-2026-10.pdf"' in response["Content-Disposition"]
    pdf = b"".join(response.streaming_content)
    assert "660100000001" in pdf_text(pdf)
    customer_login(client, customer)
    page = client.get(reverse("portal:bill", kwargs={"account_id": billed.pk, "period": PERIOD}))
    assert b"".join(page.streaming_content) == pdf  # the stored bill: one file for both


@pytest.mark.parametrize(("period", "status"), [("2026-08", 404), ("2026-13", 422), ("0000-01", 422), ("1999-01", 404)])
def test_a_month_without_a_bill(client, customer, billed, headers, period, status):
    response = client.get(f"/api/v1/accounts/{billed.pk}/bills/{period}.pdf", headers=headers)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
