"""The database side of bench/soak.py, run by it as a separate process with the cluster's
environment (deploy/local-cluster.sh's cluster.env), so that the load generator (gevent,
monkey-patched) never imports Django. Prints one JSON object on stdout.

    python bench/soak_data.py setup USERS          customers, accounts, meters, billed months
    python bench/soak_data.py verify RECORD.json   checks against the DB, storage, outbox, mail dir

The customers live in a region of their own («Нагрузочный», code 98, readings accepted every
day of the month), so the demo's data is left as it is; `setup` is idempotent (a second run
resets the passwords and adds what is missing). Nothing here is ever committed as data.
"""

from datetime import date, datetime, time
from decimal import Decimal
import email
from email import policy
import hashlib
import json
import os
from pathlib import Path
import sys
import time as clock

ROOT = Path(__file__).resolve().parent.parent
REGION_CODE = "98"
PASSWORD = "Soak-load-2026!"
MONTHLY_USE = 1000  # kWh a month in the history: the load's values (+100…+1100) are never «unusual»
PAYEE = ("payee_name", "payee_inn", "payee_kpp", "bank_name", "bank_bic", "bank_corr_account", "bank_account")


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def phone(index: int) -> str:
    return f"+7998{index:07d}"


def region():
    from kabinet.billing.models import Region

    demo = Region.objects.filter(code="66").first()
    payee = {name: getattr(demo, name) for name in PAYEE} if demo else {}
    found, _ = Region.objects.update_or_create(
        code=REGION_CODE,
        defaults={
            "name": "Нагрузочный",
            "contact_phone": "8-800-700-10-98",
            "feedback_url": "https://soak.example.ru/feedback/",
            "account_number_pattern": r"\d{12}",
            "ordering": 98,
            "readings_from_day": 1,
            "readings_to_day": 31,
            **payee,
        },
    )
    return found


def services():
    from kabinet.billing.models import Service

    electricity, _ = Service.objects.get_or_create(
        code="electricity", defaults={"name": "Электроснабжение", "unit": "кВт·ч", "ordering": 1}
    )
    return electricity


def customer(index: int, place, electricity, this_month: date) -> dict:
    from kabinet.billing.balances import rebuild_balances
    from kabinet.billing.models import Accrual, PersonalAccount, Premises
    from kabinet.billing.money import charge
    from kabinet.billing.periods import add_months
    from kabinet.identity.models import AccountLink, User
    from kabinet.readings.models import Meter, Reading

    premises, _ = Premises.objects.get_or_create(
        region=place, city="Екатеринбург", street="ул. Нагрузочная", house=str(index + 1), flat="1"
    )
    account, _ = PersonalAccount.objects.get_or_create(
        region=place, number=f"{REGION_CODE}{index:010d}", defaults={"premises": premises}
    )
    # Odd customers have an e-mail of record, so their appeals may be answered by e-mail.
    address = f"soak{index}@example.ru" if index % 2 else None
    user = User.objects.filter(phone=phone(index)).first()
    if user is None:
        user = User.objects.create_user(phone(index), PASSWORD, first_name="Нагрузка", last_name=f"№{index}")
    else:
        user.set_password(PASSWORD)
    user.email = address
    user.save()
    AccountLink.objects.get_or_create(account=account, defaults={"user": user})
    meter, _ = Meter.objects.get_or_create(
        account=account,
        serial=f"SOAK{index:06d}",
        defaults={
            "service": electricity,
            "zones": 1,
            "digits": 7,
            "installed_on": date(2020, 1, 1),
            "verification_due": date(2034, 1, 1),
        },
    )
    if not meter.readings.exists():
        for back in range(12, 0, -1):
            period = add_months(this_month, -back)
            taken = datetime.combine(period.replace(day=20), time(19, 0)).astimezone()
            Reading.objects.create(
                meter=meter, period=period, t1=(13 - back) * MONTHLY_USE, source="billing", taken_at=taken
            )
    previous = meter.readings.filter(period__lt=this_month).order_by("-period").first()
    for back in (1, 2):
        period = add_months(this_month, -back)
        volume, tariff = Decimal(MONTHLY_USE), Decimal("6.7100")
        Accrual.objects.get_or_create(
            account=account,
            period=period,
            service=electricity,
            zone="",
            defaults={"volume": volume, "tariff": tariff, "amount": charge(volume, tariff)},
        )
    rebuild_balances(account)
    return {
        "phone": phone(index),
        "email": address,
        "account_id": account.pk,
        "meter_id": meter.pk,
        "previous": previous.t1,
    }


def setup(count: int) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from kabinet.appeals.models import Reason

    this_month = timezone.localdate().replace(day=1)
    with transaction.atomic():
        place = region()
        electricity = services()
        people = [customer(index, place, electricity, this_month) for index in range(count)]
    reason = Reason.objects.select_related("topic").filter(name="Другой вопрос").first() or Reason.objects.first()
    return {
        "password": PASSWORD,
        "region_id": place.pk,
        "topic_id": reason.topic_id,
        "reason_id": reason.pk,
        "customers": people,
    }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_appeals(appeals: list[dict]) -> list[str]:
    """Each appeal the load was told about exists, for its customer, with its one file: the
    row's checksum and the stored bytes' checksum are the uploaded file's."""
    from kabinet.appeals.models import Appeal

    problems = []
    found = {a.number: a for a in Appeal.objects.filter(number__in=[a["number"] for a in appeals])}
    for sent in appeals:
        appeal = found.get(sent["number"])
        if appeal is None:
            problems.append(f"appeal {sent['number']} is not in the database")
            continue
        if appeal.customer.phone != sent["phone"]:
            problems.append(f"appeal {sent['number']} belongs to {appeal.customer.phone}, not {sent['phone']}")
        files = list(appeal.attachments.all())
        if [f.sha256 for f in files] != [sent["sha256"]]:
            problems.append(f"appeal {sent['number']}: files {[f.sha256[:12] for f in files]} != uploaded")
            continue
        try:
            with files[0].file.open("rb") as stored:
                if sha256(stored.read()) != sent["sha256"]:
                    problems.append(f"appeal {sent['number']}: stored bytes differ from the upload")
        except OSError as error:
            problems.append(f"appeal {sent['number']}: stored file unreadable ({error})")
    return problems


def check_readings(readings: list[dict], since: datetime) -> list[str]:
    """Each submission the portal accepted (a redirect to the form) is a reading stored since
    the load began (an earlier run's readings of the same value do not count)."""
    from django.utils import timezone

    from kabinet.readings.models import Reading

    this_month = timezone.localdate().replace(day=1)
    stored = set(
        Reading.objects.filter(
            meter_id__in={r["meter_id"] for r in readings},
            period=this_month,
            source=Reading.Source.PORTAL,
            taken_at__gte=since,
        ).values_list("meter_id", "t1")
    )
    return [
        f"reading {r['t1']} of meter {r['meter_id']} is not stored"
        for r in readings
        if (r["meter_id"], r["t1"]) not in stored
    ]


def outbox_lines() -> list[dict]:
    from django.conf import settings

    path = Path(settings.KABINET_SMS_OUTBOX)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def mailbox() -> list[tuple[str, str]]:
    """(to, subject) of every e-mail Django's file backend wrote: one file per connection,
    messages separated by a line of 79 dashes."""
    from django.conf import settings

    found = []
    folder = Path(settings.EMAIL_FILE_PATH)
    for path in sorted(folder.glob("*")) if folder.exists() else []:
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = email.message_from_bytes(chunk.lstrip(b"\n"), policy=policy.default)
                found.append((str(message["To"]), " ".join(str(message["Subject"]).split())))
    return found


def wait_for_delivery(since: datetime, timeout: float) -> tuple[int, float]:
    """Seconds it took until no message since `since` was queued (or the count left)."""
    from kabinet.notifications.models import Message

    started = clock.monotonic()
    while True:
        left = Message.objects.filter(created_at__gte=since, status=Message.Status.QUEUED).count()
        waited = clock.monotonic() - started
        if not left or waited > timeout:
            return left, waited
        clock.sleep(2)


def check_messages(since: datetime, timeout: float) -> tuple[list[str], dict]:
    """Every message logged since the load began went out exactly once: each SMS is one line
    of the outbox, each e-mail one message in the mail dir, and the log says sent."""
    from collections import Counter

    from kabinet.notifications.models import Message

    left, waited = wait_for_delivery(since, timeout)
    sms = Counter((line["to"], line["text"]) for line in outbox_lines())
    mails = Counter(mailbox())
    problems, counts = [], Counter()
    for message in Message.objects.filter(created_at__gte=since):
        counts[message.channel] += 1
        if message.channel == Message.Channel.SMS:
            times = sms[(message.to, message.body)]
        else:
            times = mails[(message.to, " ".join(message.subject.split()))]
        if message.status != Message.Status.SENT or times != 1:
            problems.append(
                f"message {message.pk} ({message.channel} to {message.to}): {message.status}, "
                f"attempts {message.attempts}, found {times} times"
            )
    return problems, {"sms": counts["sms"], "email": counts["email"], "undelivered": left, "drain_seconds": waited}


def verify(record_path: str) -> dict:
    record = json.loads(Path(record_path).read_text(encoding="utf-8"))
    since = datetime.fromisoformat(record["started_at"])
    message_problems, messages = check_messages(since, record.get("drain_timeout", 660))
    return {
        "appeals": {"count": len(record["appeals"]), "problems": check_appeals(record["appeals"])},
        "readings": {"count": len(record["readings"]), "problems": check_readings(record["readings"], since)},
        "messages": {**messages, "problems": message_problems},
    }


def main() -> None:
    command, argument = sys.argv[1], sys.argv[2]
    django_setup()
    result = setup(int(argument)) if command == "setup" else verify(argument)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
