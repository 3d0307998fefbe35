"""Issue 15: one request id in every log line of a request and of the tasks it starts,
JSON logs for a collector. Logs are read as they are written: from a real process's stderr."""

import json
import os
from pathlib import Path
import subprocess
import sys
import uuid

from celery import Celery
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
import pytest

from kabinet.core import request_id
from kabinet.core.after_response import later, wsgi
from kabinet.core.request_id import RequestIdMiddleware
from kabinet.core.tasks import ping
from tests.factories import closed_port, database_url, wait_until


@pytest.fixture(autouse=True)
def _no_request_id_left_over():
    """serve() leaves the id set, as a request keeps it until request_finished (which a bare
    middleware call never sends): the next test starts without it."""
    yield
    request_id._forget()


def serve(header: str | None, view) -> HttpResponse:
    extra = {"HTTP_X_REQUEST_ID": header} if header is not None else {}
    return RequestIdMiddleware(view)(RequestFactory().get("/", **extra))


def test_the_caller_s_id_is_kept_and_returned():
    seen = []
    response = serve("nginx-7f3a9c21e5", lambda request: seen.append(request_id.current()) or HttpResponse())
    assert response["X-Request-ID"] == "nginx-7f3a9c21e5" == seen[0]


def test_no_id_is_left_over_from_the_test_before():
    assert request_id.current() == ""


@pytest.mark.parametrize(
    "header", [None, "", "short", "x" * 129, "abc def ghi", "abcdefgh\r\nSet-Cookie: a=b", "абвгдежзик"]
)
def test_a_missing_or_odd_id_is_replaced(header):
    response = serve(header, lambda request: HttpResponse())
    assert response["X-Request-ID"] != header
    assert len(response["X-Request-ID"]) == 32


def test_every_response_carries_an_id(client, db):
    assert len(client.get("/login/")["X-Request-ID"]) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-probe-000001")["X-Request-ID"] == "lb-probe-000001"


def test_an_eager_task_runs_under_the_request_s_id():
    # disable_sync_subtasks: a test before may have run a worker in this process, which marks
    # every join as blocking (celery's task_join_will_block), though an eager result never blocks
    response = serve(
        "req-eager-0001", lambda request: HttpResponse(ping.delay("eager").get(disable_sync_subtasks=False))
    )
    assert response.content == b"req-eager-0001"


@pytest.mark.django_db  # request_finished closes old connections, which touches an open one
def test_work_after_the_response_keeps_the_request_s_id():
    """core.after_response runs it once the middleware is done with the request, before
    Django's request_finished, which is where the id is forgotten."""
    seen = []

    def application(environ, start_response):
        response = serve(
            "req-later-0001", lambda request: later(lambda: seen.append(request_id.current())) or HttpResponse()
        )
        start_response("200 OK", [])
        return response  # its close() sends request_finished, as Django's WSGI handler's does

    body = wsgi(application)({}, lambda *args: None)
    list(body)
    body.close()
    assert seen == ["req-later-0001"]
    assert request_id.current() == ""


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


SCRIPT = """
import logging
import django
django.setup()
from django.test import Client
response = Client().get("/readyz", HTTP_X_REQUEST_ID="req-json-0001")
assert response.status_code == 503, response.status_code
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("kabinet.test").exception("failed as planned")
"""


@pytest.mark.django_db
def test_json_log_lines_carry_the_request_id(tmp_path):
    """KABINET_LOG_FORMAT=json, as production sets it: Django's line about the 503 (the broker
    is a closed port) has the request's id; an exception comes with its traceback."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kabinet.settings",
        "KABINET_LOG_FORMAT": "json",
        "KABINET_DATA_DIR": str(tmp_path),
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{closed_port()}//",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stderr)
    refused = next(line for line in lines if line["logger"] == "django.request")
    assert refused["request_id"] == "req-json-0001"
    assert refused["level"] == "ERROR" and "timestamp" in refused and "/readyz" in refused["message"]
    failed = next(line for line in lines if line["logger"] == "kabinet.test")
    assert failed["request_id"] == "" and "ZeroDivisionError" in failed["exc_info"]


@pytest.mark.django_db
def test_a_task_in_a_real_worker_logs_the_request_s_id(tmp_path, live_rabbitmq):
    """Published through RabbitMQ from a request, run by a `celery worker` process: the
    worker's JSON line for the task has the request's id. The test's own queue keeps other
    workers on this broker away from it."""
    queue = f"kabinet-test-{uuid.uuid4().hex}"
    log_file = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kabinet.settings",
        "KABINET_LOG_FORMAT": "json",
        "KABINET_DATA_DIR": str(tmp_path),
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": live_rabbitmq,
    }
    celery = str(Path(sys.executable).parent / "celery")
    with log_file.open("w") as log:
        worker = subprocess.Popen(
            [celery, "-A", "kabinet", "worker", "--pool", "solo", "-Q", queue, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "INFO"],
            env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    publisher = Celery("test-publisher", broker=live_rabbitmq, set_as_current=False)
    text = f"hello-{uuid.uuid4().hex}"
    try:
        wait_until(lambda: worker.poll() is not None or "ready" in log_file.read_text(), "the worker starts")
        assert worker.poll() is None, log_file.read_text()

        def view(request):
            publisher.send_task("kabinet.core.tasks.ping", args=[text], queue=queue)
            return HttpResponse()

        serve("req-worker-0001", view)
        line = wait_until(
            lambda: next((line for line in json_lines(log_file.read_text()) if line.get("message") == text), None),
            "the worker logs the task",
        )
        assert line["request_id"] == "req-worker-0001"
        assert line["logger"] == "kabinet.core.tasks"
        later_lines = [line for line in json_lines(log_file.read_text()) if line.get("logger", "").startswith("celery")]
        assert later_lines, "Celery's own lines are JSON too"
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        with publisher.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
