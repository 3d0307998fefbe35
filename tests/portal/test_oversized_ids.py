"""An account id longer than any integer column holds is simply not found: 404, not 500."""

from django.urls import reverse
import pytest

from tests.factories import api_token, bearer, customer_login

HUGE = 99999999999999999999


@pytest.mark.parametrize("name", ["portal:account", "portal:readings"])
def test_a_page_about_an_oversized_account_id_is_not_found(client, customer, name):
    customer_login(client, customer)
    assert client.get(reverse(name, args=[HUGE])).status_code == 404


def test_the_api_refuses_an_oversized_account_id_by_its_schema(client, customer, account):
    """The API's path parameter is a signed 64-bit integer: past it, 422 naming the field."""
    response = client.get(f"/api/v1/accounts/{HUGE}", headers=bearer(api_token(customer, account)))
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["account_id"]
