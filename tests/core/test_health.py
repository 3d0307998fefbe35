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
        "BACKEND": "kabinet.core.redis_cache.RedisCache",
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


@pytest.mark.django_db
def test_readyz_tells_others_only_ok_or_fail(client, settings):
    """Error texts name hosts, ports and users: only the metrics addresses read them."""
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{closed_port()}//"
    settings.KABINET_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    response = client.get("/readyz", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "fail"}
    assert client.get("/readyz", REMOTE_ADDR="10.1.2.3").json()["broker"] not in ("ok", "fail")


@pytest.mark.django_db
def test_a_failing_readyz_logs_once_per_change_not_per_probe(client, settings, caplog):
    """A prober asks every few seconds through an outage: one WARNING when it starts, one line
    when it ends, and none of Django's per-request ERRORs."""
    client.get("/readyz")  # this process's state before: ready
    caplog.clear()
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{closed_port()}//"
    for _ in range(3):
        assert client.get("/readyz").status_code == 503
    settings.CELERY_BROKER_URL = ""
    assert client.get("/readyz").status_code == 200
    lines = [(record.name, record.levelname, record.getMessage()) for record in caplog.records]
    assert [line[:2] for line in lines] == [("kabinet.core.health", "WARNING"), ("kabinet.core.health", "INFO")], lines
    assert lines[0][2].startswith("not ready: broker: ")
