"""Issue 15: Prometheus metrics — requests per view (never per path), queue lengths, SMS and
e-mail, imports; the multiprocess mode gunicorn needs; access by address only."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
import json
import os
from pathlib import Path
import re
import subprocess
import sys
import urllib.request

from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.core import metrics
from kabinet.core.metrics import clear_scrape_cache
from kabinet.exchange.models import ImportBatch
from kabinet.notifications.models import Message
from kabinet.notifications.services import send_sms
from tests.factories import closed_port, customer_login, database_url, make_appeal, wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_scrape():
    clear_scrape_cache()
    yield
    clear_scrape_cache()


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in an exposition; 0 when absent."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if found == labels:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def grew(before: str, after: str, name: str, **labels: str) -> float:
    """How much a counter rose between two scrapes (other tests in this process count too)."""
    return sample(after, name, **labels) - sample(before, name, **labels)


def test_requests_are_counted_by_view_not_by_path(client, customer, reason):
    customer_login(client, customer)
    appeals = [make_appeal(customer, customer.account_links.get().account, reason) for _ in range(2)]
    before = scrape(client)
    for appeal in appeals:
        assert client.get(reverse("portal:appeal", args=[appeal.number])).status_code == 200
    client.get("/no-such-page/")
    text = scrape(client)
    labels = {"view": "portal:appeal", "method": "GET", "status": "2xx"}
    assert grew(before, text, "kabinet_http_requests_total", **labels) == 2
    assert sample(text, "kabinet_http_request_duration_seconds_count", view="portal:appeal", method="GET") >= 2
    assert sample(text, "kabinet_http_requests_total", view="<unresolved>", method="GET", status="4xx") >= 1
    assert appeals[0].number not in text and "no-such-page" not in text


def test_metrics_refused_to_other_addresses(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    settings.KABINET_METRICS_ALLOWED_IPS = ["10.1.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics").status_code == 403


def test_behind_nginx_the_forwarded_address_counts(client, settings):
    settings.KABINET_TRUSTED_PROXIES = 1
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.5, 127.0.0.1").status_code == 200


def test_messages_from_the_log_and_deliveries_counted(client, django_capture_on_commit_callbacks):
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        send_sms("+79120000001", "Показания приняты")
    Message.objects.create(channel=Message.Channel.EMAIL, to="a@example.ru", body="x", status=Message.Status.FAILED)
    clear_scrape_cache()
    text = scrape(client)
    assert sample(text, "kabinet_messages_sent_last_day", channel="sms") == 1
    assert sample(text, "kabinet_messages", channel="email", status="failed") == 1
    assert sample(text, "kabinet_messages_sent_last_day", channel="email") == 0
    delivered = {"channel": "sms", "outcome": "sent"}
    assert grew(before, text, "kabinet_message_deliveries_total", **delivered) == 1
    assert "+7912" not in text


def test_the_message_log_is_not_counted_whole(client):
    """The log grows without end: a scrape counts what waits or failed, and the last day's
    sent messages; older sent ones are not read."""
    old = Message.objects.create(channel=Message.Channel.SMS, to="+79120000001", body="x", status=Message.Status.SENT)
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    Message.objects.create(channel=Message.Channel.SMS, to="+79120000001", body="x", status=Message.Status.SENT)
    Message.objects.create(channel=Message.Channel.SMS, to="+79120000001", body="x")
    text = scrape(client)
    assert sample(text, "kabinet_messages_sent_last_day", channel="sms") == 1
    assert sample(text, "kabinet_messages", channel="sms", status="queued") == 1
    assert 'kabinet_messages{channel="sms",status="sent"}' not in text


def test_imports_from_the_journal(client):
    finished = timezone.now()
    for status, read in [("done", 10), ("done", 5), ("rejected", 3), ("running", 7)]:
        ImportBatch.objects.create(
            kind="accounts", file_name="f.csv", checksum="", source="tests", status=status, rows_read=read,
            rows_created=read if status == "done" else 0, finished_at=finished if status != "running" else None,
        )  # fmt: skip
    text = scrape(client)
    assert "# TYPE kabinet_imports gauge" in text, "a run leaves 'running': its count goes down"
    assert sample(text, "kabinet_imports", kind="accounts", status="done") == 2
    assert sample(text, "kabinet_imports", kind="accounts", status="rejected") == 1
    assert sample(text, "kabinet_import_rows_total", kind="accounts", outcome="read") == 18  # not the running one
    assert sample(text, "kabinet_import_rows_total", kind="accounts", outcome="created") == 15
    assert sample(text, "kabinet_import_last_success_timestamp_seconds", kind="accounts") == pytest.approx(
        finished.timestamp()
    )


def test_scrape_time_figures_are_kept_a_few_seconds(client, monkeypatch):
    # The window as long as the test may take: two scrapes are never apart by more than it.
    monkeypatch.setattr(metrics, "SCRAPE_CACHE_SECONDS", 3600.0)
    assert sample(scrape(client), "kabinet_messages", channel="sms", status="queued") == 0
    Message.objects.create(channel=Message.Channel.SMS, to="+79120000001", body="x")
    assert sample(scrape(client), "kabinet_messages", channel="sms", status="queued") == 0  # cached
    clear_scrape_cache()
    assert sample(scrape(client), "kabinet_messages", channel="sms", status="queued") == 1


def test_queue_lengths_from_rabbitmq(client, settings, live_rabbitmq):
    """Messages published and not consumed (no worker listens on the test's queue) are counted."""
    from kabinet.celery import app
    from kabinet.core import health

    settings.CELERY_BROKER_URL = live_rabbitmq
    queue = f"kabinet-metrics-test-{os.getpid()}"
    # Publisher confirms: each put returns once the broker holds the message, so the count read
    # next on another connection cannot miss one still on its way (it did, once in CI).
    confirmed = {"confirm_publish": True}
    with (
        app.connection_for_write(url=live_rabbitmq, transport_options=confirmed) as conn,
        conn.SimpleQueue(queue) as simple,
    ):
        simple.put({"n": 1})
        simple.put({"n": 2})
    try:
        assert health.queue_lengths([queue]) == {queue: 2}
        text = scrape(client)
        assert sample(text, "kabinet_celery_broker_up") == 1
        assert "kabinet_celery_queue_length{" in text
    finally:
        with app.connection_for_write(url=live_rabbitmq) as conn:
            conn.default_channel.queue_delete(queue)


def test_a_dead_broker_is_reported_not_raised(client, settings):
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{closed_port()}//"
    text = scrape(client)
    assert sample(text, "kabinet_celery_broker_up") == 0
    assert "kabinet_messages{" in text


# --- Multiprocess mode ------------------------------------------------------------------------
WRITER = """
import sys
from kabinet.core.metrics import REQUESTS
for _ in range(int(sys.argv[1])):
    REQUESTS.labels("portal:home", "GET", "2xx").inc()
"""


def test_two_processes_counting_into_one_directory(client, settings, tmp_path):
    """What gunicorn's workers do: each writes its own file, a scrape in any process sums them."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kabinet.settings"}
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(n)], env=env, cwd=django_settings.BASE_DIR) for n in (3, 4)
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0]
    assert len(list(tmp_path.glob("counter_*.db"))) == 2
    settings.KABINET_PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    text = scrape(client)
    assert sample(text, "kabinet_http_requests_total", view="portal:home", method="GET", status="2xx") == 7


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def unresolved_by_worker(metrics_dir: Path) -> dict[str, float]:
    """Each worker's own count of unresolved GETs, read from the file it counts into
    (counter_<pid>.db): which workers served, not only how many requests were served."""
    from prometheus_client.mmap_dict import MmapedDict

    counts: dict[str, float] = {}
    for path in metrics_dir.glob("counter_*.db"):
        for key, value, *_ in MmapedDict.read_all_values_from_file(str(path)):
            _, name, labels, _ = json.loads(key)
            if name == "kabinet_http_requests_total" and labels.get("view") == "<unresolved>" and value:
                counts[path.name] = counts.get(path.name, 0) + value
    return counts


def test_gunicorn_with_two_workers_reports_every_worker_s_requests(tmp_path):
    """gunicorn with the hooks: a stale file from an earlier run is cleared at start, and
    /metrics (served by whichever worker) counts the requests of both — requests are sent,
    a few at once, until each worker's own file shows it served some."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")
    port = closed_port()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "DATABASE_URL": database_url(),
        "KABINET_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": "kabinet.settings",
    }
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "kabinet.wsgi:application",
         "-c", "python:kabinet.core.gunicorn_hooks", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        env=env, cwd=django_settings.BASE_DIR, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_until(lambda: up(f"http://127.0.0.1:{port}/healthz", server), "gunicorn answers")
        assert not (metrics_dir / "counter_999999.db").exists()
        sent = 0

        def both_workers_served() -> bool:
            nonlocal sent
            with ThreadPoolExecutor(4) as pool:
                assert list(pool.map(lambda _: get(f"http://127.0.0.1:{port}/no-such-page/")[0], range(8))) == [404] * 8
            sent += 8
            return len(unresolved_by_worker(metrics_dir)) == 2

        wait_until(both_workers_served, "both workers serve requests")
        assert sum(unresolved_by_worker(metrics_dir).values()) == sent
        status, text = get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert sample(text, "kabinet_http_requests_total", view="<unresolved>", method="GET", status="4xx") == sent
    finally:
        server.terminate()
        server.wait(timeout=30)


def up(url: str, server: subprocess.Popen) -> bool:
    assert server.poll() is None, "gunicorn exited"
    try:
        return get(url)[0] == 200
    except OSError:
        return False
