"""Shared fixtures: a small registry (regions, premises, accounts), customers, the SMS outbox."""

import json
from pathlib import Path
import re

from django.core.cache import cache
import pytest

from kabinet.billing.models import PersonalAccount, Premises, Region
from kabinet.identity.models import AccountLink, User

PASSWORD = "Ural-energy-2026"


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
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sverdlovsk(db) -> Region:
    return Region.objects.create(
        code="66",
        name="Свердловский",
        contact_phone="8-800-700-10-32",
        feedback_url="https://ekb.example.ru/feedback/",
        account_number_pattern=r"\d{12}",
        is_default=True,
        ordering=1,
    )


@pytest.fixture
def perm(db) -> Region:
    return Region.objects.create(
        code="59",
        name="Пермский",
        contact_phone="8-800-700-10-59",
        feedback_url="https://perm.example.ru/feedback/",
        account_number_pattern=r"\d{10}",
        ordering=2,
    )


def make_account(region: Region, number: str, house: str = "12а", flat: str = "5", **fields) -> PersonalAccount:
    premises = Premises.objects.create(
        region=region, city="Екатеринбург", street="ул. Малышева", house=house, flat=flat
    )
    return PersonalAccount.objects.create(region=region, number=number, premises=premises, **fields)


@pytest.fixture
def account(sverdlovsk) -> PersonalAccount:
    return make_account(sverdlovsk, "660100000001")


def make_customer(phone: str, account: PersonalAccount | None = None, **fields) -> User:
    fields.setdefault("first_name", "Анна")
    fields.setdefault("last_name", "Иванова")
    user = User.objects.create_user(phone, PASSWORD, **fields)
    if account is not None:
        AccountLink.objects.create(user=user, account=account)
    return user


@pytest.fixture
def customer(account) -> User:
    return make_customer("+79120000001", account, email="anna@example.ru")


def run_pending_on_commit() -> None:
    """Run what would run at commit. Non-transactional tests never commit, so SMS queued by a
    request would otherwise never reach the outbox."""
    from django.db import connection

    while connection.run_on_commit:
        _, callback, _ = connection.run_on_commit.pop(0)
        callback()


class Outbox:
    def __init__(self, path: Path):
        self.path = path

    def messages(self) -> list[dict]:
        run_pending_on_commit()
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]

    def last_code(self, phone: str) -> str:
        for message in reversed(self.messages()):
            if message["to"] == phone and (match := re.search(r"\b(\d{6})\b", message["text"])):
                return match.group(1)
        raise AssertionError(f"no code sent to {phone}")


@pytest.fixture
def outbox(settings) -> Outbox:
    return Outbox(settings.KABINET_SMS_OUTBOX)


@pytest.fixture
def mailbox():
    """Django's locmem mail outbox, after what would have run at commit."""
    from django.core import mail

    def read() -> list:
        run_pending_on_commit()
        return mail.outbox

    return read


# --- Appeals ------------------------------------------------------------------------------
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")  # a PNG header


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    """Attachments of each test go to its own folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "attachments"},
        },
    }


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


def upload_file(owner, name: str = "справка.pdf", content: bytes = PDF):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kabinet.appeals.files import store_upload

    return store_upload(owner, SimpleUploadedFile(name, content))


def make_appeal(customer, account, reason, *, text: str = "Прошу сделать перерасчёт.", files: int = 1, **fields):
    from kabinet.appeals.services import AppealDraft, submit_appeal

    draft = AppealDraft(
        account=account,
        reason=reason,
        text=text,
        contact_method=fields.pop("contact_method", "phone"),
        uploads=[upload_file(customer) for _ in range(files)],
    )
    return submit_appeal(customer, draft)
