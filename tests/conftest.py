"""Shared fixtures: a small registry (regions, premises, accounts), customers, the SMS outbox."""

import json
import logging
import os
from pathlib import Path
import re
import uuid

from django.core.cache import cache
import pytest

from kabinet.billing import registry
from kabinet.billing.models import PersonalAccount, Region
from kabinet.identity.models import User
from kabinet.readings import states as readings_states

# Re-exported for code that still imports them from here; new tests import tests.factories.
from tests.factories import (  # noqa: F401
    PASSWORD,
    PDF,
    PERM,
    PNG,
    RABBITMQ,
    REDIS,
    S3_KEY,
    S3_SECRET,
    SVERDLOVSK,
    amqp_answers,
    make_account,
    make_appeal,
    make_customer,
    make_region,
    need_service,
    redis_answers,
    s3_client,
    upload_file,
)

# The tests' own key for complaints' personal data (kabinet.core.pd_crypto).
PD_KEY = "t4T8ThQdDsrdx62VrYkQnxf5ObHbeYZgP8XrXgYJ-38="


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own outbox, mail folder and an empty cache (rate limits)."""
    settings.KABINET_SMS_BACKEND = "file"
    settings.KABINET_SMS_OUTBOX = tmp_path / "sms.jsonl"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tests hash many passwords: still argon2id, at a cost far below production's
    # (which bench/login.py measures).
    settings.ARGON2_MEMORY_KIB = 256
    settings.ARGON2_TIME_COST = 1
    settings.KABINET_PD_KEYS = [PD_KEY]
    cache.clear()
    registry.forget_contacts()  # kept per process (the footer's), as the cache it is checked against
    readings_states.forget_period_guess()  # a hint kept per process: each test guesses from the day
    yield
    cache.clear()


@pytest.fixture
def live_redis() -> str:
    """The machine's Redis (no DB number: add your own), or a loud skip (a failure under CI)."""
    need_service("Redis", ("127.0.0.1", 6379), redis_answers)
    return REDIS


@pytest.fixture
def live_rabbitmq() -> str:
    """The machine's RabbitMQ broker URL, or a loud skip (a failure under CI)."""
    need_service("RabbitMQ", ("127.0.0.1", 5672), amqp_answers)
    return RABBITMQ


@pytest.fixture
def sverdlovsk(db) -> Region:
    return make_region(SVERDLOVSK)


@pytest.fixture
def perm(db) -> Region:
    return make_region(PERM)


@pytest.fixture
def account(sverdlovsk) -> PersonalAccount:
    return make_account(sverdlovsk, "660100000001")


@pytest.fixture
def customer(account) -> User:
    return make_customer("+79120000001", account, email="anna@example.ru")


class CommitQueue:
    """What the test's transaction has queued for a commit that never comes (a non-transactional
    test is rolled back), read through pytest-django's `django_capture_on_commit_callbacks`: one
    capture is always open, and `run()` closes it, runs what it caught (and what that queued in
    turn) and opens the next. So SMS and e-mails a request queued reach the outbox when a test
    reads it. A test that wraps work in its own `django_capture_on_commit_callbacks(execute=True)`
    should not read that work's messages through `outbox`/`mailbox` as well: it would run twice."""

    def __init__(self, capture):
        self.capture = capture
        self._open()

    def _open(self) -> None:
        self.block = self.capture(execute=False)
        self.caught = self.block.__enter__()

    def _close(self) -> list:
        self.block.__exit__(None, None, None)
        return self.caught

    def run(self) -> None:
        while callbacks := self._close():
            self._open()
            for callback in callbacks:
                callback()
        self._open()

    def drop(self) -> None:
        """At the end of the test: what is still queued is rolled back with the test."""
        self._close()


@pytest.fixture(autouse=True)
def commit_queue(django_capture_on_commit_callbacks):
    """Autouse, so its capture opens before any other fixture queues work (an appeal's notices)."""
    queue = CommitQueue(django_capture_on_commit_callbacks)
    yield queue
    queue.drop()


class Outbox:
    def __init__(self, path: Path, queue: CommitQueue):
        self.path = path
        self.queue = queue

    def messages(self) -> list[dict]:
        self.queue.run()
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]

    def last_code(self, phone: str) -> str:
        for message in reversed(self.messages()):
            if message["to"] == phone and (match := re.search(r"\b(\d{6})\b", message["text"])):
                return match.group(1)
        raise AssertionError(f"no code sent to {phone}")


@pytest.fixture
def outbox(settings, commit_queue) -> Outbox:
    return Outbox(settings.KABINET_SMS_OUTBOX, commit_queue)


@pytest.fixture
def mailbox(commit_queue):
    """Django's locmem mail outbox, after what would have run at commit."""
    from django.core import mail

    def read() -> list:
        commit_queue.run()
        return mail.outbox

    return read


# --- Files --------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def s3_server():
    """A real S3 server (moto) on a free port of 127.0.0.1, for the whole run."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def shared_s3(settings, s3_server):
    """A fresh private bucket on the local S3 server as the shared files storage (KABINET_S3_*,
    both STORAGES entries); a client with `.bucket`."""
    from kabinet.settings import s3_storage

    client = s3_client(s3_server)
    client.bucket = f"files-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=client.bucket)
    settings.KABINET_S3_BUCKET = client.bucket
    settings.KABINET_S3_ENDPOINT_URL = s3_server
    settings.KABINET_S3_REGION = "us-east-1"
    settings.KABINET_S3_ACCESS_KEY_ID, settings.KABINET_S3_SECRET_ACCESS_KEY = S3_KEY, S3_SECRET
    options = (client.bucket, s3_server, "us-east-1", S3_KEY, S3_SECRET, settings.KABINET_S3_LINK_TTL)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage("files", *options),
        "attachments": s3_storage("attachments", *options),
    }
    return client


@pytest.fixture(autouse=True)
def _private_files(request, settings, tmp_path):
    """Attachments of each test go to its own folder or, with KABINET_TEST_S3=1 in the
    environment (`make test-s3`), to its own bucket on a local S3 server."""
    if os.environ.get("KABINET_TEST_S3"):
        request.getfixturevalue("shared_s3")
        return
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "attachments"},
        },
    }


# --- Appeals ------------------------------------------------------------------------------
@pytest.fixture
def reason(db):
    from kabinet.appeals.models import Reason, Topic

    topic = Topic.objects.create(name="Лицевой счёт", ordering=1)
    Topic.objects.create(name="Оплата", ordering=2)
    return Reason.objects.create(
        topic=topic,
        name="Перерасчёт",
        answer_days=10,
        documents_hint="Справка о временном отсутствии.",
    )


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin_client, signed in at the admin site's own door (identity.doors)."""
    from tests.factories import admin_login

    admin_login(client, admin_user)
    return client
