"""deploy/local-cluster.sh runs Kabinet as production does: nginx over TLS in front of two
gunicorn instances, a Celery worker and beat on RabbitMQ, PostgreSQL and Redis. One cluster for
the module, in its own state dir, ports, database, Redis key prefix and RabbitMQ vhost, so a
developer's cluster (and its worker) beside it sees nothing of it. The tests run in file order;
the last one takes the cluster down and checks that nothing it started is left."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
import http.cookiejar
import json
import os
from pathlib import Path
import re
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings

from django.conf import settings
import pytest

from tests.e2e.helpers import log_in
from tests.factories import read_env_file, s3_client, wait_until

ROOT = Path(settings.BASE_DIR)
SCRIPT = ROOT / "deploy" / "local-cluster.sh"
DEMO_PHONE = "+7 912 000-00-01"
DEMO_PASSWORD = "Demo-2026!"
CHROMIUM = Path("/usr/bin/chromium")
FORGED = "203.0.113.9"


def wait_for(what: str, check, seconds: float = 60):
    """Poll until check() returns something true; readiness, never a fixed sleep."""
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.2)
    return result


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def free_ports() -> tuple[int, int]:
    """A port base (gunicorn on +1, +2, the HTTP redirect on +80, S3 on +900) and an HTTPS port,
    all free."""
    for base in range(18100, 30000, 500):
        if all(port_free(port) for port in (base + 1, base + 2, base + 80, base + 900, base + 343)):
            return base, base + 343
    raise AssertionError("no free ports for a second cluster")


def processes_of(state: Path) -> list[int]:
    """Every process that carries the cluster's state dir in its environment: all the script
    starts (the app's processes get KABINET_DATA_DIR under it, nginx KABINET_CLUSTER_DIR)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if str(state).encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue  # gone meanwhile, or not ours to read
    return found


class Form(HTMLParser):
    """The fields of a page's first POST form, with the values it would send as it stands."""

    def __init__(self, html: str):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.select = None
        self.done = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if tag == "input" and attrs.get("name"):
            self.fields.setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and (self.select not in self.fields or "selected" in attrs):
            self.fields[self.select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form" and self.fields:
            self.done = True


@dataclass
class Cluster:
    state: Path
    env: dict[str, str]
    base: int
    url: str

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [str(SCRIPT), *args], env=self.env, capture_output=True, text=True, timeout=900, check=False
        )
        assert result.returncode == 0, f"local-cluster.sh {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    @property
    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.state / "tls" / "cert.pem"))

    def browser(self) -> urllib.request.OpenerDirector:
        """A client that keeps cookies and trusts only the cluster's own certificate."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=self.tls)
        )
        opener.cookies = jar
        return opener

    def access_log(self) -> list[str]:
        return (self.state / "nginx-access.log").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def cluster(tool, tmp_path_factory):
    for name in ["nginx", "openssl", "pg_isready", "redis-server", "rabbitmq-server", "setsid", "curl"]:
        tool(name)
    state = tmp_path_factory.mktemp("cluster")
    base, https = free_ports()
    env = {
        **os.environ,
        # Another database and vhost than the developer's `kabinet_cluster` on `/`, and than a
        # test run beside this one (on other ports): two workers on one queue take each other's tasks.
        "KABINET_CLUSTER_DB": f"kabinet_cluster_{base}",
        "KABINET_CLUSTER_AMQP_VHOST": f"kabinet_cluster_{base}",
        "KABINET_CLUSTER_DIR": str(state),
        "KABINET_CLUSTER_PORT_BASE": str(base),
        "KABINET_CLUSTER_HTTPS_PORT": str(https),
    }
    cluster = Cluster(state=state, env=env, base=base, url=f"https://127.0.0.1:{https}")
    try:
        cluster.run("up")
        yield cluster
    finally:
        subprocess.run([str(SCRIPT), "down"], env=env, capture_output=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def customer(cluster):
    """The demo customer, logged in through nginx over HTTPS."""
    client = cluster.browser()
    login = client.open(f"{cluster.url}/login/")
    form = Form(login.read().decode())
    form.fields.update(identifier=DEMO_PHONE, password=DEMO_PASSWORD)
    request = urllib.request.Request(
        f"{cluster.url}/login/",
        data=urllib.parse.urlencode(form.fields).encode(),
        # A forged client address: Django must take the one nginx appends (KABINET_TRUSTED_PROXIES=1).
        headers={"Origin": cluster.url, "Referer": f"{cluster.url}/login/", "X-Forwarded-For": FORGED},
    )
    home = client.open(request)
    assert home.url == f"{cluster.url}/home/", home.url
    return client


def test_every_process_runs_with_the_production_environment(cluster):
    status = cluster.run("status")
    for name in ["s3", "nginx", "gunicorn-a", "gunicorn-b", "celery-worker", "celery-beat"]:
        assert f"{name} " in status and "stopped" not in status, status
    env = read_env_file(cluster.state / "cluster.env")
    assert env["DJANGO_DEBUG"] == "0"
    assert env["KABINET_PUBLIC_URL"] == cluster.url
    assert env["CELERY_BROKER_URL"].startswith("amqp://")
    assert env["KABINET_S3_BUCKET"] and env["KABINET_S3_ENDPOINT_URL"] == f"http://127.0.0.1:{cluster.base + 900}"
    for name in ["gunicorn-a", "celery-worker"]:
        pid = (cluster.state / f"{name}.pid").read_text().strip()
        environ = dict(
            item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item
        )
        assert environ["DJANGO_DEBUG"] == "0" and environ["DATABASE_URL"] == env["DATABASE_URL"], name


def test_the_demo_customer_logs_in_through_nginx_over_https(cluster, customer):
    home = customer.open(f"{cluster.url}/home/")
    assert home.status == 200 and home.url == f"{cluster.url}/home/"
    assert "Strict-Transport-Security" in home.headers
    session = next(cookie for cookie in customer.cookies if cookie.name == "sessionid")
    assert session.secure


def test_the_client_address_is_the_one_nginx_saw(cluster, customer):
    """The login's audit event has nginx's peer, not the address the client wrote in X-Forwarded-For."""
    query = "SELECT ip FROM core_auditevent WHERE action = 'login' ORDER BY id DESC LIMIT 1"
    database = read_env_file(cluster.state / "cluster.env")["DATABASE_URL"]
    ip = subprocess.run(["psql", database, "-tAc", query], capture_output=True, text=True, check=True).stdout
    assert ip.strip() == "127.0.0.1"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_plain_http_is_sent_to_https(cluster):
    request = urllib.request.Request(f"http://127.0.0.1:{cluster.base + 80}/login/", method="HEAD")
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request)
    assert answer.value.code == 301
    assert answer.value.headers["Location"] == f"{cluster.url}/login/"


def test_nginx_serves_static_files_itself(cluster):
    answer = urllib.request.urlopen(f"{cluster.url}/static/core/kabinet.css", context=cluster.tls)
    assert answer.status == 200
    # From disk: nginx's expiry, none of Django's headers.
    assert answer.headers["Cache-Control"] == "max-age=86400"
    assert "Content-Security-Policy" not in answer.headers


def test_probes_and_metrics_are_not_public(cluster):
    """Only the loopback scraper and prober, straight at gunicorn, see them."""
    for path in ["/readyz", "/metrics"]:
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"{cluster.url}{path}", context=cluster.tls)
        assert answer.value.code == 404, path


def test_nginx_passes_a_request_id_on(cluster, customer):
    customer.open(urllib.request.Request(f"{cluster.url}/home/", headers={"X-Request-ID": "soak-0123456789"}))
    # nginx writes the access line once the request is over, which may be after the client has
    # read the whole answer: the line is awaited, not expected at once.
    wait_until(lambda: any("rid=soak-0123456789" in line for line in cluster.access_log()), "the access log line")


def instance(cluster, port: int, path: str, **headers: str):
    """A request straight to a gunicorn instance, as a prober or Prometheus makes it: plain
    HTTP, the instance's own address as Host."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    return urllib.request.urlopen(request, timeout=30)


def test_each_instance_answers_its_probes_directly(cluster):
    for port in (cluster.base + 1, cluster.base + 2):
        healthz = instance(cluster, port, "/healthz")
        assert healthz.status == 200 and healthz.read() == b"ok"
        readyz = instance(cluster, port, "/readyz")
        assert readyz.status == 200
        assert json.loads(readyz.read()) == {"database": "ok", "cache": "ok", "broker": "ok"}


def requests_counted(metrics: str, view: str) -> float:
    pattern = re.compile(r"^kabinet_http_requests_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$", re.M)
    return sum(
        float(found["value"]) for found in pattern.finditer(metrics) if f'view="{view}"' in found["labels"].split(",")
    )


def test_an_instances_metrics_sum_both_its_workers(cluster):
    """Each worker counts in its own file under the instance's PROMETHEUS_MULTIPROC_DIR (the
    unit's Environment=, here $DIR/metrics-gunicorn-a); the scrape, answered by one worker,
    adds them all up. Requests go 8 at a time: one after another, one worker may take them all."""
    port = cluster.base + 1
    master = (cluster.state / "gunicorn-a.pid").read_text().strip()
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(workers) == 2, workers
    wanted = {f"counter_{pid}.db" for pid in workers}
    before = requests_counted(instance(cluster, port, "/metrics").read().decode(), "portal:login")
    sent, files = 0, set()

    def login_page(_):
        return instance(cluster, port, "/login/", **{"X-Forwarded-Proto": "https"}).status

    with ThreadPoolExecutor(8) as pool:
        for _ in range(50):  # bounded: 400 requests at 8 at a time always reach both workers
            assert list(pool.map(login_page, range(8))) == [200] * 8
            sent += 8
            files = {path.name for path in (cluster.state / "metrics-gunicorn-a").glob("counter_*.db")}
            if wanted <= files:
                break
    assert wanted <= files, files
    after = requests_counted(instance(cluster, port, "/metrics").read().decode(), "portal:login")
    assert after - before >= sent


def json_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_a_request_id_joins_the_page_and_the_task_it_queued(cluster):
    """A request id sent through nginx is in the app's JSON log line for the SMS the request
    queued and in the Celery worker's log of delivering it."""
    rid = f"trace-{uuid.uuid4().hex}"
    client = cluster.browser()
    form = Form(client.open(f"{cluster.url}/recover/").read().decode())
    form.fields.update(contact=DEMO_PHONE)
    request = urllib.request.Request(
        f"{cluster.url}/recover/",
        data=urllib.parse.urlencode(form.fields).encode(),
        headers={"Origin": cluster.url, "Referer": f"{cluster.url}/recover/", "X-Request-ID": rid},
    )
    answer = client.open(request)
    assert answer.headers["X-Request-ID"] == rid
    app = [
        line
        for name in ("gunicorn-a", "gunicorn-b")
        for line in json_lines(cluster.state / f"{name}.log")
        if line.get("request_id") == rid
    ]
    assert any(line["logger"] == "kabinet.notifications.services" for line in app), app
    worker = wait_for(
        "the worker's log of the task",
        lambda: [
            line
            for line in json_lines(cluster.state / "celery-worker.log")
            if line.get("request_id") == rid and "deliver_message" in line["message"]
        ],
    )
    assert any("succeeded" in line["message"] for line in worker), worker


def test_a_killed_app_server_is_passed_over_and_comes_back(cluster, customer):
    a, b = f"127.0.0.1:{cluster.base + 1}", f"127.0.0.1:{cluster.base + 2}"
    seen = len(cluster.access_log())
    cluster.run("kill", "gunicorn-a")
    try:
        assert (
            "gunicorn-a     stopped"
            in subprocess.run(
                [str(SCRIPT), "status"], env=cluster.env, capture_output=True, text=True, check=False
            ).stdout
        )
        for _ in range(6):
            page = customer.open(f"{cluster.url}/home/")
            assert page.status == 200 and page.url == f"{cluster.url}/home/"
        # nginx tried the dead instance and passed the request on (proxy_next_upstream).
        assert any(f"{a}, {b}" in line for line in cluster.access_log()[seen:]), cluster.access_log()[seen:]
    finally:
        cluster.run("start", "gunicorn-a")
    served = urllib.request.urlopen(
        urllib.request.Request(f"http://{a}/healthz", headers={"X-Forwarded-Proto": "https"})
    )
    assert served.status == 200


def send_sms(cluster: Cluster) -> str:
    """Queue an SMS from a process of the cluster (its environment, its broker); return the text."""
    text = f"cluster test {uuid.uuid4()}"
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **read_env_file(cluster.state / "cluster.env")}
    code = f"from kabinet.notifications.services import send_sms; send_sms('+79120000001', {text!r})"
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True)
    return text


def outbox_lines(cluster: Cluster, text: str) -> list[dict]:
    outbox = cluster.state / "sms-outbox.jsonl"
    lines = outbox.read_text(encoding="utf-8").splitlines() if outbox.exists() else []
    return [json.loads(line) for line in lines if text in line]


def test_a_task_goes_through_the_broker_to_the_worker(cluster):
    """An SMS queued by a process of the cluster is written to the outbox by the worker."""
    text = send_sms(cluster)
    [message] = wait_for("the SMS in the outbox", lambda: outbox_lines(cluster, text))
    assert message["to"] == "+79120000001"
    worker_log = (cluster.state / "celery-worker.log").read_text(encoding="utf-8")
    assert "kabinet.notifications.tasks.deliver_message" in worker_log


def test_a_task_queued_while_the_worker_is_dead_waits_for_it(cluster):
    """RabbitMQ keeps the task while no worker runs; the restarted worker delivers it."""
    cluster.run("kill", "celery-worker")
    text = send_sms(cluster)
    assert not outbox_lines(cluster, text)
    cluster.run("start", "celery-worker")
    wait_for("the SMS in the outbox", lambda: outbox_lines(cluster, text))


def bill_keys(cluster) -> list[str]:
    env = read_env_file(cluster.state / "cluster.env")
    s3 = s3_client(env["KABINET_S3_ENDPOINT_URL"])
    found = s3.list_objects_v2(Bucket=env["KABINET_S3_BUCKET"], Prefix="attachments/bills/").get("Contents", [])
    return sorted(item["Key"] for item in found)


def test_files_live_in_the_clusters_s3_and_outlive_its_restart(cluster, customer):
    """A bill downloaded through nginx is an object of the bucket; S3 killed and started again
    still has it, so the same bill is served, not rendered anew."""
    home = customer.open(f"{cluster.url}/home/").read().decode()
    account = re.search(r"/accounts/(\d+)/", home).group(1)
    bills = customer.open(f"{cluster.url}/accounts/{account}/bills/").read().decode()
    url = cluster.url + re.search(rf'href="(/accounts/{account}/bills/[^"]+/)"', bills).group(1)
    first = customer.open(url)
    assert first.headers["Content-Type"] == "application/pdf"
    pdf = first.read()
    assert pdf.startswith(b"%PDF-")
    keys = bill_keys(cluster)
    assert keys, "the bill is stored in the bucket"
    cluster.run("kill", "s3")
    cluster.run("start", "s3")
    assert bill_keys(cluster) == keys
    assert customer.open(url).read() == pdf


def test_a_real_browser_logs_in(cluster):
    if not CHROMIUM.exists():
        message = "!!! /usr/bin/chromium missing: the cluster's browser login SKIPPED — run `make chromium` !!!"
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            context = chromium.new_context(base_url=cluster.url, ignore_https_errors=True)
            page = context.new_page()
            log_in(page, DEMO_PHONE, DEMO_PASSWORD)
            assert page.url == f"{cluster.url}/home/"
        finally:
            chromium.close()


def test_down_stops_exactly_what_up_started(cluster):
    started = processes_of(cluster.state)
    assert len(started) >= 5, started
    cluster.run("down")
    wait_for("the cluster's processes to exit", lambda: not processes_of(cluster.state), seconds=60)
    for port in (
        cluster.base + 1,
        cluster.base + 2,
        cluster.base + 80,
        cluster.base + 900,
        int(cluster.url.rsplit(":", 1)[1]),
    ):
        assert port_free(port), port
    assert not list(cluster.state.glob("*.pid"))
    # A pidfile naming a process the script did not start (a pid reused after a crash) is not obeyed.
    stranger = subprocess.Popen(["sleep", "600"])
    try:
        (cluster.state / "gunicorn-a.pid").write_text(f"{stranger.pid}\n")
        cluster.run("down")
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()
    # The machine's services stay up.
    assert subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0
