"""A token's rate (KABINET_API_RATE a minute), and CORS only for the configured origins."""

from tests.factories import access_token, api_token, bearer

PROFILE = "/api/v1/profile"
ORIGIN = "https://app.example.ru"


def test_a_token_over_its_rate_gets_429_with_retry_after(client, customer, settings):
    settings.KABINET_API_RATE = 3
    secret, other = api_token(customer), access_token(customer)
    assert [client.get(PROFILE, headers=bearer(secret)).status_code for _ in range(3)] == [200] * 3
    over = client.get(PROFILE, headers=bearer(secret))
    assert over.status_code == 429 and 1 <= int(over["Retry-After"]) <= 60
    assert over["Content-Type"] == "application/problem+json"
    assert over.json()["detail"].startswith("Не больше 3 запросов в минуту.")
    assert client.get(PROFILE, headers=bearer(other)).status_code == 200  # counted per token


def test_no_cors_unless_configured(client, customer, settings):
    assert settings.KABINET_API_CORS_ORIGINS == []
    response = client.get(PROFILE, headers={**bearer(api_token(customer)), "Origin": ORIGIN})
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response
    preflight = client.options(PROFILE, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in preflight


def test_cors_for_a_configured_origin_only(client, customer, settings):
    settings.KABINET_API_CORS_ORIGINS = [ORIGIN]
    preflight = client.options(
        PROFILE,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in preflight  # bearer tokens, never cookies

    response = client.get(PROFILE, headers={**bearer(api_token(customer)), "Origin": ORIGIN})
    assert response["Access-Control-Allow-Origin"] == ORIGIN and "ETag" in response["Access-Control-Expose-Headers"]
    assert "Origin" in response["Vary"]

    stranger = client.get(PROFILE, headers={**bearer(api_token(customer)), "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger and "Origin" in stranger["Vary"]


def test_cors_stays_off_the_pages(client, settings, db):
    settings.KABINET_API_CORS_ORIGINS = [ORIGIN]
    assert "Access-Control-Allow-Origin" not in client.get("/login/", headers={"Origin": ORIGIN})
