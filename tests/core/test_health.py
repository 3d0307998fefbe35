"""Issue 15: /healthz says the process is alive, /readyz whether its dependencies answer.
Dead dependencies are real closed ports, not mocks."""

from contextlib import contextmanager

from django.core.cache import caches
from django.test import override_settings
import pytest

from tests.factories import closed_port


@contextmanager
def redis_cache(url: str):
    """The default cache in Redis at `url` while inside (the suite's own cache comes back
    before its teardown clears it)."""
    cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "kabinet-health-test",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
    }
    with override_settings(CACHES={"default": cache}):
        yield
        caches["default"].close()


def test_healthz_is_ok_without_touching_the_database(client):
    """No `db` fixture: pytest-django refuses any database access here."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_probes_answer_a_load_balancer_by_address_and_plain_http(client, settings):
    """Production: HTTPS redirect on, only the public name allowed. A probe straight at an app
    server (Host 127.0.0.1:8101, no X-Forwarded-Proto) still gets its answer; pages do not."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["lk.example.ru"]
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8101").content == b"ok"
    assert client.get("/metrics", HTTP_HOST="127.0.0.1:8101").status_code == 200
    assert client.get("/login/", HTTP_HOST="lk.example.ru").status_code == 301


@pytest.mark.django_db
def test_readyz_with_everything_up(client, settings, live_redis, live_rabbitmq):
    settings.CELERY_BROKER_URL = live_rabbitmq
    with redis_cache(f"{live_redis}/10"):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_without_a_broker_has_none_to_wait_for(client, settings):
    settings.CELERY_BROKER_URL = ""
    assert client.get("/readyz").json()["broker"] == "ok"


@pytest.mark.django_db
def test_readyz_names_a_dead_broker(client, settings):
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{closed_port()}//"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["cache"] == "ok"
    assert body["broker"] != "ok" and "guest" not in body["broker"]


@pytest.mark.django_db
def test_readyz_names_a_dead_redis(client, settings):
    with redis_cache(f"redis://127.0.0.1:{closed_port()}/0"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["cache"].startswith("ConnectionError")


@pytest.mark.django_db
def test_readyz_with_a_redis_broker(client, settings, live_redis):
    settings.CELERY_BROKER_URL = f"{live_redis}/10"
    assert client.get("/readyz").json()["broker"] == "ok"
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/10"
    assert client.get("/readyz").status_code == 503
