"""Issue 11 point 10: everything but `make run` starts safe; the demo's outbox opens only on the
demo's own machine; debug mode refuses a production database or a public host name."""

import os
from pathlib import Path
import subprocess
import sys

from django.conf import settings
from django.test import Client
import pytest

from kabinet.notifications.models import Message

ROOT = Path(settings.BASE_DIR)
# What settings read that these tests set themselves: none of it may come from the caller
# (CI's PostgreSQL half exports DATABASE_URL).
OURS = {
    "DJANGO_DEBUG",
    "DATABASE_URL",
    "DJANGO_ALLOWED_HOSTS",
    "KABINET_SECURE_SSL_REDIRECT",
    "KABINET_KEEP_SECRET_MESSAGES",
    "KABINET_SMS_BACKEND",
    "KABINET_PD_KEYS",
    "KABINET_COMPLAINT_ANSWER_DAYS",
    "KABINET_COMPLAINT_PD_RETENTION_DAYS",
    "KABINET_COMPLAINT_PD_MAX_DAYS",
}


def load_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly these variables."""
    clean = {name: value for name, value in os.environ.items() if name not in OURS}
    code = (
        "import kabinet.settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.KABINET_KEEP_SECRET_MESSAGES)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "KABINET_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_no_variables_debug_is_off_and_https_is_on(tmp_path):
    result = load_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "False"]


def test_smtp_gives_up_after_ten_seconds_unless_told_otherwise(tmp_path):
    """Without a broker the e-mail goes from the web worker after the response: a hung SMTP
    server must not hold the worker until gunicorn kills it (Django's default waits forever)."""
    from django.core.mail.backends.smtp import EmailBackend

    assert settings.EMAIL_TIMEOUT == 10 and EmailBackend().timeout == 10
    code = "import kabinet.settings as s; print(s.EMAIL_TIMEOUT)"
    env = {**os.environ, "KABINET_DATA_DIR": str(tmp_path), "EMAIL_TIMEOUT": "3"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "3", result.stderr


LOCAL_DATABASES = [
    "sqlite:///demo.sqlite3",
    "postgres://postgres@127.0.0.1:5432/kabinet",
    "postgres://u@localhost/k",
    "postgres://u@[::1]:5432/k",
    "postgres:///kabinet",  # a Unix socket
]


@pytest.mark.parametrize("database_url", LOCAL_DATABASES)
def test_debug_runs_with_a_database_on_this_machine(tmp_path, database_url):
    result = load_settings(tmp_path, DJANGO_DEBUG="1", DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["True", "False"]


def test_debug_refuses_a_production_database(tmp_path):
    result = load_settings(tmp_path, DJANGO_DEBUG="1", DATABASE_URL="postgres://kabinet:pw@db.internal:5432/kabinet")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_DEBUG is on with a production database (DATABASE_URL host 'db.internal')" in (
        result.stderr
    )
    assert "set DJANGO_DEBUG=0" in result.stderr


@pytest.mark.parametrize("hosts", ["lk.example.ru", "127.0.0.1,localhost,lk.example.ru", "*", "203.0.113.7"])
def test_debug_refuses_a_public_host_name(tmp_path, hosts):
    result = load_settings(tmp_path, DJANGO_DEBUG="1", DJANGO_ALLOWED_HOSTS=hosts)
    assert result.returncode != 0
    assert "DJANGO_DEBUG is on with public host names in DJANGO_ALLOWED_HOSTS" in result.stderr


def test_the_same_variables_without_debug_are_fine(tmp_path):
    from cryptography.fernet import Fernet

    production = {
        "DATABASE_URL": "postgres://kabinet:pw@db.internal:5432/kabinet",
        "DJANGO_ALLOWED_HOSTS": "lk.example.ru",
        "KABINET_PD_KEYS": Fernet.generate_key().decode(),
    }
    assert load_settings(tmp_path, **production).returncode == 0
    # A public name means production: it must have the complaints' key (tests and embedded
    # runs, on loopback names, need none).
    result = load_settings(tmp_path, **(production | {"KABINET_PD_KEYS": ""}))
    assert "ImproperlyConfigured: KABINET_PD_KEYS is not set" in result.stderr


@pytest.mark.parametrize("variable", ["KABINET_COMPLAINT_PD_RETENTION_DAYS", "KABINET_COMPLAINT_PD_MAX_DAYS"])
@pytest.mark.parametrize("days", ["0", "-5"])
def test_a_period_that_would_wipe_every_complaint_refuses_to_start(tmp_path, variable, days):
    result = load_settings(tmp_path, **{variable: days})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {variable} is {days}: at least 1 day" in result.stderr
    assert load_settings(tmp_path, **{variable: "1"}).returncode == 0


def test_runserver_stops_on_it(tmp_path):
    """What a forgotten DJANGO_DEBUG=1 on a server looks like: manage.py does not start."""
    clean = {name: value for name, value in os.environ.items() if name not in OURS}
    env = {**clean, "KABINET_DATA_DIR": str(tmp_path), "DJANGO_DEBUG": "1", "DJANGO_ALLOWED_HOSTS": "lk.example.ru"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "set DJANGO_DEBUG=0" in result.stderr


# --- /dev/outbox/ -----------------------------------------------------------------------------
@pytest.fixture
def demo(settings, db):
    """The demo's settings, with the outbox routed (kabinet.urls adds it only when DEBUG is on at
    start-up) and one secret in it."""
    settings.DEBUG = True
    settings.KABINET_SMS_BACKEND = "file"
    settings.ROOT_URLCONF = "tests.core.urls_with_outbox"
    Message.objects.create(channel=Message.Channel.SMS, to="+79120000001", body="Код подтверждения: 482913")


def test_the_outbox_opens_to_this_machine_in_the_demo(demo):
    response = Client(REMOTE_ADDR="127.0.0.1").get("/dev/outbox/")
    assert response.status_code == 200
    assert "482913" in response.content.decode()
    assert Client(REMOTE_ADDR="::1").get("/dev/outbox/").status_code == 200


def test_the_footer_links_to_the_outbox_only_where_it_opens(demo, settings):
    link = "Исходящие SMS и письма (демо)"
    assert link in Client(REMOTE_ADDR="127.0.0.1").get("/login/").content.decode()
    assert link not in Client(REMOTE_ADDR="203.0.113.9").get("/login/").content.decode()
    settings.KABINET_SMS_BACKEND = "console"
    assert link not in Client(REMOTE_ADDR="127.0.0.1").get("/login/").content.decode()


def test_the_outbox_is_shut_to_another_machine(demo, settings):
    settings.KABINET_TRUSTED_PROXIES = 1
    for headers in [{}, {"HTTP_X_FORWARDED_FOR": "127.0.0.1"}]:
        response = Client(REMOTE_ADDR="203.0.113.9").get("/dev/outbox/", **headers)
        assert response.status_code == 404
        assert "482913" not in response.content.decode()


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_X_FORWARDED_FOR": "203.0.113.9"},
        {"HTTP_X_FORWARDED_FOR": "127.0.0.1"},
        {"HTTP_X_REAL_IP": "203.0.113.9"},
        {"HTTP_FORWARDED": "for=203.0.113.9"},
    ],
)
def test_the_outbox_is_shut_behind_a_proxy_on_this_machine(demo, header):
    """nginx on the same machine makes every peer loopback; its headers give it away."""
    response = Client(REMOTE_ADDR="127.0.0.1").get("/dev/outbox/", **header)
    assert response.status_code == 404
    assert "482913" not in response.content.decode()


@pytest.mark.parametrize("backend", ["http", "console", "kabinet.notifications.sms.http.SmscBackend"])
def test_the_outbox_is_shut_when_sms_really_go_out(demo, settings, backend):
    settings.KABINET_SMS_BACKEND = backend
    assert Client(REMOTE_ADDR="127.0.0.1").get("/dev/outbox/").status_code == 404


def test_the_outbox_is_shut_without_debug(demo, settings):
    settings.DEBUG = False
    assert Client(REMOTE_ADDR="127.0.0.1").get("/dev/outbox/").status_code == 404


def test_without_debug_at_start_the_outbox_has_no_address(tmp_path):
    """A fresh interpreter: in this one, kabinet.urls was imported by whichever test came first."""
    clean = {name: value for name, value in os.environ.items() if name not in OURS}
    code = (
        "import django; django.setup(); from django.urls import reverse; "
        "print(reverse('portal:home')); reverse('dev:outbox')"
    )
    env = {**clean, "KABINET_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kabinet.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "/home/", result.stderr  # the URLs load
    assert "NoReverseMatch" in result.stderr
