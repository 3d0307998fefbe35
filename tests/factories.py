"""Builders the tests share: regions, accounts, customers, staff, appeals, meters and readings,
billed months, and small request helpers. Test modules import these from here, never from one
another (tests/test_layout_of_tests.py checks it); the fixtures in the conftest files are built
with them."""

import base64
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
import hashlib
from io import BytesIO
import json
import os
from pathlib import Path
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
from time import sleep
from time import time as unix_time
from urllib.parse import quote
import warnings

from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.utils import get_random_secret_key
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
import pyotp
from pypdf import PdfReader
import pytest
import zxingcpp

from kabinet.appeals.files import store_upload
from kabinet.appeals.models import StaffRole
from kabinet.appeals.services import AppealDraft, submit_appeal
from kabinet.billing.balances import rebuild_balances
from kabinet.billing.models import Accrual, Payment, PersonalAccount, Premises, Region, Service
from kabinet.billing.money import charge
from kabinet.billing.periods import add_months, previous_month
from kabinet.exchange import exports
from kabinet.exchange.models import ExportBatch
from kabinet.identity import api_tokens, second_factor
from kabinet.identity.doors import SESSION_KEY, Door
from kabinet.identity.models import AccountLink, User
from kabinet.payments.demo import finish
from kabinet.payments.models import OnlinePayment, Refund
from kabinet.payments.services import check_payment, refund, start_payment
from kabinet.readings.models import Meter, Reading
from tests.payments.fake_yookassa import SECRET_KEY as YOOKASSA_SECRET_KEY
from tests.payments.fake_yookassa import SHOP_ID as YOOKASSA_SHOP_ID
from tests.payments.fake_yookassa import FakeYooKassa

PASSWORD = "Ural-energy-2026"

# --- The registry ---------------------------------------------------------------------------
SVERDLOVSK = {
    "code": "66",
    "name": "Свердловский",
    "contact_phone": "8-800-700-10-32",
    "feedback_url": "https://ekb.example.ru/feedback/",
    "account_number_pattern": r"\d{12}",
    "is_default": True,
    "ordering": 1,
}
PERM = {
    "code": "59",
    "name": "Пермский",
    "contact_phone": "8-800-700-10-59",
    "feedback_url": "https://perm.example.ru/feedback/",
    "account_number_pattern": r"\d{10}",
    "ordering": 2,
}


def make_region(region: dict = SVERDLOVSK, **overrides) -> Region:
    """A region from one of the dicts above, with any field changed."""
    return Region.objects.create(**{**region, **overrides})


def make_account(region: Region, number: str, house: str = "12а", flat: str = "5", **fields) -> PersonalAccount:
    premises, _ = Premises.objects.get_or_create(  # one premises per address (its unique constraint)
        region=region, city="Екатеринбург", street="ул. Малышева", house=house, flat=flat
    )
    return PersonalAccount.objects.create(region=region, number=number, premises=premises, **fields)


# --- People ---------------------------------------------------------------------------------
def make_customer(phone: str, account: PersonalAccount | None = None, **fields) -> User:
    fields.setdefault("first_name", "Анна")
    fields.setdefault("last_name", "Иванова")
    user = User.objects.create_user(phone, PASSWORD, **fields)
    if account is not None:
        AccountLink.objects.create(user=user, account=account)
    return user


def make_staff(email: str, role: str, *regions, first_name: str = "Ирина") -> StaffRole:
    user = User.objects.create_user(None, PASSWORD, email=email, first_name=first_name, last_name="Сотрудник")
    staff = StaffRole.objects.create(user=user, role=role)
    staff.regions.add(*regions)
    return staff


def customer_login(client, user: User) -> None:
    """Sign a customer in as the portal's login does: customer pages admit only sessions opened
    at the customers' door (identity.doors)."""
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = Door.PORTAL.value
    session.save()


def staff_login(client, user: User) -> None:
    """Sign an employee in as the back office's own door does: the back office admits only
    sessions opened there (identity.doors), after the second factor (identity.second_factor)."""
    _door_login(client, user, Door.BACKOFFICE)


def admin_login(client, user: User) -> None:
    """Sign a staff user in as the admin site's login does: the admin site admits only sessions
    opened there (identity.doors), after the second factor."""
    _door_login(client, user, Door.ADMIN)


def _door_login(client, user: User, door: Door, *, verified: bool = True) -> None:
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = door.value
    if verified:
        session[DEVICE_ID_SESSION_KEY] = give_second_factor(user).persistent_id
    session.save()


# --- Second factor --------------------------------------------------------------------------
def verify_session(client, user: User) -> None:
    """Mark a session signed in through a real login form as past its second factor, as the
    code page does (tests of the second factor itself enter the code instead)."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = give_second_factor(user).persistent_id
    session.save()


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32, as the setup page shows it


def give_second_factor(user: User, secret: str = TOTP_SECRET) -> TOTPDevice:
    """The user's authenticator app, set up (idempotent): codes are pyotp.TOTP(secret).now()."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        key = base64.b32decode(secret.replace(" ", "")).hex()
        device = TOTPDevice.objects.create(user=user, name="Приложение", key=key, confirmed=True)
    return device


class PhoneApp(pyotp.TOTP):
    """An authenticator app set up from the key a page shows. It shows the code of the current
    30-second step; `next` is the code after the one it showed last (the setup's code is spent:
    a code is good once, so a sign-in needs a later one).

    `next` counts from the code shown, not from the clock: when the setup's code reached the
    server in the following step, the server took it with a drift of -1 (django-otp's
    OTP_TOTP_SYNC) and from then on accepts only up to the step after that code."""

    shown_at = 0.0

    def now(self) -> str:
        self.shown_at = unix_time()
        return self.at(self.shown_at)

    def next(self) -> str:
        assert self.shown_at, "the app has shown no code yet: now() first"
        return self.at(self.shown_at + self.interval)


def recovery_code(user: User) -> str:
    """A fresh recovery code of the user (their app set up first when it is not): each sign-in
    of a browser test may use one, where two TOTP codes within 30 seconds would be a replay."""
    give_second_factor(user)
    code = secrets.token_hex(6)
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Резервные коды", defaults={"confirmed": True})
    device.token_set.create(token=second_factor._code_hash(code))
    return code


class SoftPasskey:
    """A software authenticator (WebAuthn, «none» attestation, ES256), as a phone or a security
    key answers: what the page's script sends as «credential». `origin` as the browser names it."""

    def __init__(self, origin: str = "http://localhost:8000", rp_id: str = "localhost"):
        from cryptography.hazmat.primitives.asymmetric import ec

        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.origin, self.rp_id, self.count = origin, rp_id, 0

    def create(self, options: dict) -> str:
        """The answer to navigator.credentials.create() with the server's options."""
        import cbor2

        numbers = self.key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id + cbor2.dumps(cose)
        auth_data = self._auth_data(0x45) + attested  # user present, verified, attested data
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"])
        response = {"clientDataJSON": _b64url(client_data), "attestationObject": _b64url(attestation)}
        return self._json(response | {"transports": ["internal"]}, {"credProps": {"rk": True}})

    def get(self, options: dict, *, challenge: str | None = None) -> str:
        """The answer to navigator.credentials.get(); `challenge` to sign another than offered."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        self.count += 1
        auth_data = self._auth_data(0x05)
        client_data = self._client_data("webauthn.get", challenge or options["challenge"])
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        response = {"clientDataJSON": _b64url(client_data), "authenticatorData": _b64url(auth_data)}
        return self._json(response | {"signature": _b64url(signature)}, {})

    def _auth_data(self, flags: int) -> bytes:
        return hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags]) + self.count.to_bytes(4, "big")

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}).encode()

    def _json(self, response: dict, extensions: dict) -> str:
        raw = _b64url(self.credential_id)
        return json.dumps(
            {"id": raw, "rawId": raw, "type": "public-key", "response": response, "clientExtensionResults": extensions}
        )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- API ------------------------------------------------------------------------------------
def api_token(user: User, *accounts: PersonalAccount, write: bool = True, lifetime: str = "30") -> str:
    """A personal access token's secret: for `accounts` (all the user's when none are given),
    read-only unless `write`."""
    ids = [a.pk for a in accounts] or list(PersonalAccount.objects.filter(link__user=user).values_list("pk", flat=True))
    return api_tokens.create_personal_token(user, "Тест", ids, write, lifetime).secret


def access_token(user: User) -> str:
    """A sign-in's access token, as POST /api/v1/auth/token gives it."""
    return api_tokens.open_session(user).access_token


def bearer(secret: str) -> dict[str, str]:
    """Headers for Django's test client: `client.get(url, headers=bearer(secret))`."""
    return {"Authorization": f"Bearer {secret}"}


# --- Appeals --------------------------------------------------------------------------------
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")  # a PNG header


def upload_file(owner, name: str = "справка.pdf", content: bytes = PDF):
    return store_upload(owner, SimpleUploadedFile(name, content))


def make_appeal(customer, account, reason, *, text: str = "Прошу сделать перерасчёт.", files: int = 1, **fields):
    draft = AppealDraft(
        account=account,
        reason=reason,
        text=text,
        contact_method=fields.pop("contact_method", "phone"),
        uploads=[upload_file(customer) for _ in range(files)],
    )
    return submit_appeal(customer, draft)


# A passport that must never show in clear outside the complaint's page, its PDF and the cipher.
PASSPORT_SERIES, PASSPORT_NUMBER = "6512", "483920"


def complaint_data(for_account, **overrides) -> dict:
    """The complaint form's POST, every field valid."""
    data = {
        "full_name": "Иванова Анна Петровна",
        "residence": "г. Екатеринбург, ул. Ленина, д. 12а, кв. 5",
        "birth_date": "1980-03-21",
        "birth_place": "г. Свердловск",
        "document_type": "passport_rf",
        "document_series": PASSPORT_SERIES,
        "document_number": PASSPORT_NUMBER,
        "organization": "",
        "account": str(for_account.pk),
        "premises_address": "г. Екатеринбург, ул. Ленина, д. 12а, кв. 5",
        "violation_start": "2026-11-20T08:15",
        "violation_end": "2026-11-20T19:40",
        "phone": "+7 912 000-00-01",
        "email": "anna@example.ru",
        "demands": "Напряжение падало до 150 В. Требую проверки и перерасчёта.",
        "contact_method": "phone",
    }
    data.update(overrides)
    return data


def make_complaint(customer, account, *, files: int = 0, **overrides):
    from kabinet.appeals.complaints import file_complaint

    return file_complaint(customer, complaint_draft(customer, account, files=files, **overrides))


def complaint_draft(customer, account, *, files: int = 0, **overrides):
    """A valid complaint's draft, with the customer's profile phone and e-mail."""
    from kabinet.appeals.complaints import ComplaintDraft

    draft = ComplaintDraft(
        account=account,
        full_name="Иванова Анна Петровна",
        residence="г. Екатеринбург, ул. Ленина, д. 12а, кв. 5",
        birth_date=date(1980, 3, 21),
        birth_place="г. Свердловск",
        document_type="passport_rf",
        document_series=PASSPORT_SERIES,
        document_number=PASSPORT_NUMBER,
        organization="",
        premises_address=account.premises.address,
        violation_start=datetime(2026, 11, 20, 8, 15, tzinfo=UTC),
        violation_end=None,
        phone=customer.phone or "+79120000001",
        email=customer.email or "",
        demands="Напряжение падало до 150 В. Требую проверки и перерасчёта.",
        contact_method="phone",
        uploads=[upload_file(customer) for _ in range(files)],
    )
    for name, value in overrides.items():
        setattr(draft, name, value)
    return draft


def answer_appeal(role: StaffRole, appeal, text: str = "Перерасчёт выполнен.", **fields):
    """The operator takes the appeal and answers it, as the back office does: the answer's
    notification carries the «Оцените ответ» links."""
    from kabinet.appeals.operators import Reply, reply, take

    if appeal.assignee_id is None:
        take(role, appeal.pk)
    return reply(role, appeal.pk, Reply(text=text, status="answered", uploads=[]))


def in_threads(count: int, work) -> list:
    """Run `work(i)` in `count` threads released at the same moment; return each result or the
    exception it raised. Every thread closes its own database connection."""
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait()
            return work(i)
        except Exception as exc:  # collected: the test decides what is expected
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


# --- Meters and readings --------------------------------------------------------------------
NOV = date(2026, 11, 1)  # the month the readings tests submit for
IN_WINDOW = date(2026, 11, 20)  # the default window is the 15th to the 25th


def electricity() -> Service:
    service, _ = Service.objects.get_or_create(
        code="electricity", defaults={"name": "Электроснабжение", "unit": "кВт·ч", "ordering": 1}
    )
    return service


def make_meter(account, *, zones: int = 1, digits: int = 6, serial: str = "01234567", **fields) -> Meter:
    fields.setdefault("installed_on", date(2020, 3, 1))
    fields.setdefault("verification_due", date(2032, 3, 1))
    return Meter.objects.create(account=account, service=electricity(), serial=serial, zones=zones, digits=digits,
                                **fields)  # fmt: skip


def add_reading(meter: Meter, period: date, *values: int, source: str = Reading.Source.PORTAL, **fields) -> Reading:
    taken = timezone.make_aware(datetime.combine(period.replace(day=20), time(19, 0)))
    return Reading.objects.create(meter=meter, period=period, source=source, taken_at=fields.pop("taken_at", taken),
                                  **dict(zip(meter.zone_fields, values, strict=True)), **fields)  # fmt: skip


def monthly(meter: Meter, start: tuple[int, ...], used: tuple[int, ...], months: int = 12, last: date = NOV) -> list:
    """`months` readings up to the month before `last`, each month `used` more than the one before."""
    values, readings = list(start), []
    for index in range(months, 0, -1):
        readings.append(add_reading(meter, add_months(last, -index), *values))
        values = [(v + u) % meter.capacity for v, u in zip(values, used, strict=True)]
    return readings


# --- Billed months --------------------------------------------------------------------------
PERIOD = date(2026, 10, 1)
PAYEE = {
    "payee_name": "АО «Энергосбыт» (Свердловский филиал)",
    "payee_inn": "6670000014",
    "payee_kpp": "666643001",
    "bank_name": "АО «Демобанк»",
    "bank_bic": "044525999",
    "bank_corr_account": "30101810600000000999",
    "bank_account": "40702810616000000066",
    "company_address": "620014, г. Екатеринбург, ул. Примерная, д. 1",
}


def billed_services() -> dict[str, Service]:
    return {
        code: Service.objects.get_or_create(code=code, defaults={"name": name, "unit": unit, "ordering": order})[0]
        for code, name, unit, order in (
            ("electricity", "Электроснабжение", "кВт·ч", 1),
            ("hot-water", "Горячее водоснабжение", "м³", 3),
        )
    }


def accrue(account, period: date, *, recalculation: str = "0", reason: str = "") -> None:
    """A two-zone electricity meter and hot water, one recalculated line."""
    s = billed_services()
    for service, zone, volume, rate, extra in (
        (s["electricity"], "Т1", "150", "6.7100", {}),
        (s["electricity"], "Т2", "70", "3.3800", {}),
        (
            s["hot-water"],
            "",
            "3.215",
            "308.8900",
            {"recalculation": Decimal(recalculation), "recalculation_reason": reason},
        ),
    ):
        amount = charge(Decimal(volume), Decimal(rate))
        Accrual.objects.create(account=account, period=period, service=service, zone=zone, volume=Decimal(volume),
                               tariff=Decimal(rate), amount=amount, **extra)  # fmt: skip


def make_billed(account, *, opening: str = "500.00", paid: str = "1000.00", period: date = PERIOD) -> None:
    """The month before `period` billed and unpaid (the opening debt), `period` accrued with a
    recalculation, one payment in `period`."""
    Region.objects.filter(pk=account.region_id).update(**PAYEE)
    account.refresh_from_db()
    before = previous_month(period)
    accrue(account, before)
    accrue(account, period, recalculation="-200.00", reason="Перерасчёт | временное отсутствие")
    Payment.objects.create(account=account, paid_on=period.replace(day=5), amount=Decimal(paid), channel="online")
    accrued_before = sum((a.total for a in account.accruals.filter(period=before)), Decimal(0))
    rebuild_balances(account, opening=Decimal(opening) - accrued_before)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages).replace("\u00a0", " ")


def pdf_qr_codes(pdf: bytes, dpi: int = 300) -> list[zxingcpp.Barcode]:
    """The QR codes a reader finds on page 1 as poppler prints it (pdftoppm, from `make poppler`):
    the drawn symbol, not the matrix it was made from."""
    if not shutil.which("pdftoppm"):
        pytest.fail("pdftoppm is missing: `make poppler` installs poppler-utils")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "bill.pdf").write_bytes(pdf)
        command = ["pdftoppm", "-gray", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run([*command, "bill.pdf", "page"], cwd=folder, check=True)
        with Image.open(Path(folder) / "page.png") as page:
            return zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)


# --- Requests -------------------------------------------------------------------------------
INVALID_LOGIN = "Неверный логин или пароль"


def post_login(client, identifier, password=PASSWORD, region=None):
    """The customer login form, posted."""
    return client.post(reverse("portal:login"), {"identifier": identifier, "password": password, "region": region.pk})


def redirected_to(response) -> str:
    """Where a 302 leads: its Location, query string included. Any other answer gives a note of
    its status instead, so `assert redirected_to(response) == url` fails saying what came."""
    if response.status_code != 302:
        return f"<no redirect: {response.status_code}>"
    return response["Location"]


def login_url(next_path: str) -> str:
    """Where `login_required` sends a visitor without a session: the login page, then `next_path`."""
    return f"{reverse('portal:login')}?next={quote(next_path, safe='/')}"


def registration_data(region, **overrides) -> dict:
    """A complete registration form for account 660100000001 (see `make_account`)."""
    data = {
        "account_number": "660100000001",
        "house": "12 А",
        "region": region.pk,
        "phone": "8 (912) 111-22-33",
        "email": "Petr@Example.ru",
        "first_name": "Пётр",
        "last_name": "Сидоров",
        "password": PASSWORD,
        "password2": PASSWORD,
        "consent": "on",
    }
    data.update(overrides)
    return data


NOT_IDS = {"uidb64", "token", "score"}  # URL keywords that are not object ids (tokens are checked by their own hash)


def id_patterns(namespace: str) -> list[tuple[str, set[str]]]:
    """Every URL of a namespace that takes keyword arguments, with their names."""
    found = []

    def walk(resolver, current):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, entry.namespace or current)
            elif isinstance(entry, URLPattern) and entry.pattern.converters and current == namespace:
                found.append((f"{namespace}:{entry.name}", set(entry.pattern.converters) - NOT_IDS))

    walk(get_resolver(), "")
    return [(name, kwargs) for name, kwargs in found if kwargs]


# --- Exchange files -------------------------------------------------------------------------
ACCOUNTS_HEADER = "region,number,city,street,house,flat,status,replaced_by,closed_on"


def csv_bytes(*rows: str, header: str = ACCOUNTS_HEADER, encoding: str = "utf-8") -> bytes:
    """An exchange file: the header, the rows, a newline after each."""
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def export_crashing_before_commit(export, out, caplog) -> ExportBatch:
    """Run `export()` with a fault injected once its file is in place, just before its
    transaction commits; check that it failed, keeping the placed file (the server may have
    committed: at least once in files) and no temporary one, told the operator in Russian, logged
    the fault, and return its batch (the caller checks that nothing was marked)."""

    def crash(batch):
        raise RuntimeError("диск отключён")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(exports, "_before_commit", crash)
        failed = export()
    assert failed.status == ExportBatch.Status.FAILED and failed.rows == 0 and failed.file_name == ""
    [kept] = list(out.iterdir())
    assert not kept.name.startswith(".") and kept.suffix == ".csv"
    assert failed.message == (
        "Выгрузка прервана ошибкой на сервере, ничего не отмечено выгруженным; подробности — в журнале "
        f"сервера (выгрузка № {failed.pk}). Файл {kept} оставлен: его строки будут выгружены ещё раз."
    )
    assert "диск отключён" in caplog.text and f"export {failed.pk} of" in caplog.text
    return failed


def database_url() -> str:
    """The test database as a URL, for a second process or connection (PostgreSQL tests)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(check, what: str):
    """Poll check() until it returns something true (at most a minute) and return that: the
    state another process reaches is observed, never assumed after a fixed sleep."""
    for _ in range(1200):
        value = check()
        if value:
            return value
        sleep(0.05)
    pytest.fail(f"{what}: not within a minute")


# --- Online payments (back office) ----------------------------------------------------------
def make_online_payment(account, amount: str, *, status: str = "succeeded", method: str = "bank_card",
                        created_at: datetime | None = None, **fields):  # fmt: skip
    """An online payment as its row stands after the acquirer's answers, with no acquirer
    behind it: for lists and pages (a refund needs a payment the acquirer knows). A succeeded
    one is paid a minute after it was created."""
    created_at = created_at or timezone.now()
    if status == "succeeded":
        fields.setdefault("paid_at", created_at + timedelta(minutes=1))
    payment = OnlinePayment.objects.create(account=account, amount=Decimal(amount), status=status, method=method,
                                           **fields)  # fmt: skip
    OnlinePayment.objects.filter(pk=payment.pk).update(created_at=created_at)  # auto_now_add ignores a value
    payment.refresh_from_db()
    return payment


@contextmanager
def fake_yookassa(settings):
    """A running local ЮKassa look-alike (tests/payments/fake_yookassa.py), with the settings
    that point Kabinet at it."""
    api = FakeYooKassa()
    api.thread.start()
    settings.KABINET_YOOKASSA_SHOP_ID, settings.KABINET_YOOKASSA_SECRET_KEY = YOOKASSA_SHOP_ID, YOOKASSA_SECRET_KEY
    settings.KABINET_YOOKASSA_API_URL, settings.KABINET_YOOKASSA_TIMEOUT = api.url, 0.5
    try:
        yield api
    finally:
        api.server.shutdown()
        api.server.server_close()


def paid_online(api, account, amount: str) -> OnlinePayment:
    """A card payment the acquirer `api` took and confirmed, as Kabinet records it (in the
    account's payments too): one that can be refunded."""
    payment = start_payment(user=None, account=account, amount=Decimal(amount), method="bank_card",
                            receipt_email="anna@example.ru", return_url="http://testserver/")  # fmt: skip
    api.succeed(payment.acquirer_id)
    return check_payment(payment)


def migrate_to_latest() -> None:
    """After a test migrated an app back: every app forward again, dependents included (payments
    depends on billing: migrating billing back drops its tables, forward to billing's target
    alone would not bring them back)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


# --- Online payments (kabinet.payments) through the demo acquirer ---------------------------
def paid_in_demo(customer: User, account: PersonalAccount, amount: str, method: str = "bank_card") -> OnlinePayment:
    """A payment the customer made in Kabinet, succeeded: started, paid on the demo acquirer's
    page and checked, as in the demo (needs the `demo_acquirer` fixture: DEBUG on, no shop)."""
    payment = start_payment(
        user=customer,
        account=account,
        amount=Decimal(amount),
        method=method,
        receipt_email="anna@example.ru",
        return_url="/",
    )
    finish(payment.acquirer_id, paid=True)
    return check_payment(payment)


def refunded_online(payment: OnlinePayment, amount: str, staff: User) -> Refund:
    """A refund of `payment` by a supervisor; the demo acquirer makes it succeed at once."""
    return refund(payment=payment, amount=Decimal(amount), reason="Оплачено дважды", staff_user=staff)


# --- Servers and dead ports (health, metrics, workers) ----------------------------------------
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"
REDIS = "redis://127.0.0.1:6379"  # a test adds its own DB number: f"{live_redis}/10"


def need_service(name: str, address: tuple[str, int], answers) -> None:
    """Skip, loudly, a test whose local service (Redis, RabbitMQ) does not answer; under CI
    (the CI variable set, as .ci/run and CI systems set it) fail instead: there a missing
    service is a broken machine, and a skipped test would hide it. `answers(sock)` checks the
    protocol on a connected socket."""
    try:
        with socket.create_connection(address, timeout=2) as sock:
            sock.settimeout(5)
            if answers(sock):
                return
            problem = "answers, but not as expected"
    except OSError as error:
        problem = f"does not answer ({error.__class__.__name__})"
    message = f"{name} at {address[0]}:{address[1]} {problem}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this is a failure (.ci/run starts it)")
    message = f"!!! {message}: test SKIPPED — start it (`deploy/local-cluster.sh services`) !!!"
    warnings.warn(message, stacklevel=2)
    pytest.skip(message)


def redis_answers(sock: socket.socket) -> bool:
    sock.sendall(b"PING\r\n")
    return sock.recv(64).startswith(b"+PONG")


def amqp_answers(sock: socket.socket) -> bool:
    """An AMQP 0-9-1 server answers the protocol header with Connection.Start (a method frame)."""
    sock.sendall(b"AMQP\x00\x00\x09\x01")
    return sock.recv(1)[:1] == b"\x01"


def closed_port() -> int:
    """A port nothing listens on (bound once by us, then released): a dead dependency for
    real, or a free port for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Private files (a folder of the test, or a bucket with KABINET_TEST_S3=1) -----------------
def stored_files(folder: str = "") -> list[str]:
    """Every name in the private storage under `folder`, through the storage API, so the same
    test reads a folder or a bucket."""
    from kabinet.core.storage import private_storage

    storage = private_storage()
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    prefix = f"{folder}/" if folder else ""
    return [prefix + name for name in files] + [name for sub in folders for name in stored_files(prefix + sub)]


def stored_bytes(name: str) -> bytes:
    from kabinet.core.storage import private_storage

    with private_storage().open(name, "rb") as file:
        return file.read()


# --- S3 (a local moto server: the `s3_server` fixture) -----------------------------------------
S3_KEY, S3_SECRET = "kabinet-test", "kabinet-test-secret"


def s3_client(endpoint: str):
    """A boto3 client of the local S3 server, with the tests' keys."""
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET
    )


# --- Production configuration (deploy/) ---------------------------------------------------
def read_env_file(path) -> dict[str, str]:
    """NAME=value lines as systemd's EnvironmentFile= and `set -a; . FILE` read them: comments
    and blank lines skipped, one pair of double quotes around a value removed."""
    env = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    return env


def production_env(data_dir, filled: bool = True) -> dict[str, str]:
    """deploy/kabinet.env.example with its REPLACE-ME values filled in as an administrator
    would (`filled=False`: as shipped, which the settings refuse), the directories moved to
    `data_dir` (the settings create the data dir on import) and a clean base environment:
    nothing inherited."""
    env = read_env_file(Path(__file__).resolve().parent.parent / "deploy" / "kabinet.env.example")
    if filled:
        env = {name: value.replace("REPLACE-ME", "filled-in") for name, value in env.items()}
        env["DJANGO_SECRET_KEY"] = get_random_secret_key()
        env["KABINET_PD_KEYS"] = Fernet.generate_key().decode()  # as `manage.py generate_pd_key` makes
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        **env,
        "KABINET_DATA_DIR": str(data_dir),
        "KABINET_STATIC_ROOT": str(Path(data_dir) / "static"),
    }


# --- Error reports (what a crash would show of personal data) ---------------------------------
def crash_report(client, url, caplog) -> str:
    """The report with every frame's variables (the HTML one: the debug page, a 500 mail with
    include_html); the filter that hides marked variables is the one production runs."""
    caplog.clear()
    client.raise_request_exception = False
    assert client.get(url).status_code == 500
    record = next(r for r in caplog.records if r.name == "django.request")
    from django.views.debug import ExceptionReporter

    return ExceptionReporter(record.request, *record.exc_info).get_traceback_html()


def unreadable_document_type(appeal) -> None:
    """A real crash after decryption: the stored document type is one the choices no longer
    have (as after a type is withdrawn), so the fields cannot be labelled."""
    complaint = appeal.complaint
    complaint.set_identity({**complaint.identity_data(), "document_type": "withdrawn"})
    complaint.save(update_fields=["identity"])


def redis_cache(live_redis: str) -> dict:
    """CACHES for the machine's Redis (the API tests' DB 13), with a key prefix of its own."""
    return {"default": {"BACKEND": "kabinet.core.redis_cache.RedisCache",
                        "LOCATION": f"{live_redis}/13", "KEY_PREFIX": f"test-read-{secrets.token_hex(8)}"}}  # fmt: skip


@contextmanager
def orm_compilations():
    """The SQL the ORM compiles inside the block (each SQLCompiler.as_sql, subqueries' too): none
    where a read runs compiled once (core.compiled). The real compiler runs; it is only counted."""
    compiled, as_sql = [], SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        sql, params = as_sql(self, *args, **kwargs)
        compiled.append(sql)
        return sql, params

    SQLCompiler.as_sql = counted
    try:
        yield compiled
    finally:
        SQLCompiler.as_sql = as_sql
