"""`manage.py load_demo` through the exchange: the demo's billing data — the registry, meters,
the inspectors' readings, accruals and payments — is written as the files of formats/*.md and
loaded by `run_import`, as a billing system's files would be, so every start of the demo
proves that path; the journal in /admin/ lists its batches (source «load_demo»).

What is not billing's stays with the ORM: regions and people (kabinet.billing.demo), services
and tariffs and the readings customers sent through the portal (kabinet.readings.demo),
appeals (kabinet.appeals.demo). This module lives in the exchange because the exchange imports
billing and readings, never the other way round.

Two steps, each one transaction, so a rejected file leaves nothing of its step:
- `load_registry`: regions, then accounts.csv (every run, the same bytes: the next start's
  batch is a duplicate and changes nothing), then the customers who hold its accounts;
- `load_histories`: for the accounts without any history only, meters.csv, readings.csv,
  accruals.csv and payments.csv, in that order; the accruals and payments imports compute the
  month balances by Kabinet's rule. With no such account (every start after the first) no file
  is written. The history depends on the month it is planned in, so a file for all accounts
  would change every month and clash with the readings and payments loaded before.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
import csv
from datetime import date
from decimal import Decimal
from pathlib import Path
import tempfile

from django.db import transaction
from django.utils import timezone

from kabinet.billing import demo as registry
from kabinet.billing.models import PersonalAccount, Premises, Region
from kabinet.core.bulk import batches
from kabinet.exchange import kinds
from kabinet.exchange.kinds.accruals import ZONES
from kabinet.exchange.kinds.readings import SOURCES
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.runner import run_import
from kabinet.readings import demo as history
from kabinet.readings.models import Reading

SOURCE = "load_demo"  # the journal's «откуда запущено»
HISTORY_KINDS = ("meters", "readings", "accruals", "payments")  # the order they must load in
ZONE_CODES = {name: code for code, name in ZONES.items()}  # «Т2» → "2"
SOURCE_CODES = {recorded.value: code for code, recorded in SOURCES.items()}  # "smart_meter" → "smart"
SHOWN_REJECTED = 5


class DemoLoadError(Exception):
    """A demo file was not loaded: the demo and the formats disagree, which must not pass quietly."""


def load_demo(today: date | None = None, folder: Path | None = None) -> registry.Report:
    """The whole demo but appeals. The files go to `folder` and stay there, or to a temporary
    folder deleted afterwards."""
    report = load_registry(folder)
    report.histories, lines = load_histories(folder, today)
    report.lines += lines
    return report


@transaction.atomic
def load_registry(folder: Path | None = None) -> registry.Report:
    report = registry.Report()
    regions = registry.ensure_regions(report)
    before = _registry_counts()
    with _files_folder(folder) as path:
        rows = map(_account_line, registry.registry_rows(regions, report))
        report.lines += _load("accounts", _write(path / "accounts.csv", "accounts", rows))
    report.premises, report.accounts, report.closed_accounts = (
        after - then for after, then in zip(_registry_counts(), before, strict=True)
    )
    registry.ensure_people(report)
    return report


@transaction.atomic
def load_histories(folder: Path | None = None, today: date | None = None) -> tuple[int, list[str]]:
    """Meters and two years of history for every account that has none: how many accounts got
    theirs, and lines for the report."""
    today = today or timezone.localdate()
    services = history.ensure_services()
    for region in Region.objects.all():
        history.ensure_tariffs(region, services)
    accounts = list(history.accounts_without_history())
    if not accounts:
        return 0, []
    lines = [f"{history.MONTHS} months of history (meter, readings, accruals, payments) for {len(accounts)} accounts"]
    with _files_folder(folder) as path:
        portal = _write_histories(path, accounts, today)
        for kind in HISTORY_KINDS:
            # force: these files exist only for accounts with no history, so each must load even
            # if the same bytes were loaded once (a history later deleted in the admin).
            lines += _load(kind, path / f"{kind}.csv", force=True)
    for batch in portal:
        history.store_portal_readings(batch)
    return len(accounts), lines


# --- Writing -------------------------------------------------------------------------------
@contextmanager
def _files_folder(folder: Path | None) -> Iterator[Path]:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="kabinet-demo-") as temporary:
        yield Path(temporary)


def _write(path: Path, kind: str, lines) -> Path:
    """A CSV of the kind's format: its columns in its order, UTF-8, comma, RFC 4180 quoting."""
    with path.open("w", encoding="utf-8", newline="") as file:
        _writer(file, kind).writerows(lines)
    return path


def _writer(file, kind: str) -> csv.DictWriter:
    writer = csv.DictWriter(file, fieldnames=[column.name for column in kinds.get(kind).columns], lineterminator="\n")
    writer.writeheader()
    return writer


def _write_histories(folder: Path, accounts: list[tuple], today: date) -> list[list[tuple[int, history.ReadingRow]]]:
    """Plan each account's history and write its billing rows to the four files, a batch of
    accounts at a time; the portal's readings are returned by batch, to store once the meters are."""
    portal: list[list[tuple[int, history.ReadingRow]]] = []
    with ExitStack() as files:
        writers = {
            kind: _writer(files.enter_context((folder / f"{kind}.csv").open("w", encoding="utf-8", newline="")), kind)
            for kind in HISTORY_KINDS
        }
        for batch in batches(accounts, history.BATCH):
            portal.append([])
            for pk, region, number, closed_on, flat in batch:
                planned = history.plan_history(history.history_spec(number, flat, closed_on), today)
                writers["meters"].writerows(_meter_line(region, m) for m in planned.meters)
                for reading in planned.readings:
                    if reading.source == Reading.Source.PORTAL:
                        portal[-1].append((pk, reading))
                    else:
                        writers["readings"].writerow(_reading_line(region, reading))
                writers["accruals"].writerows(_accrual_line(region, a) for a in planned.accruals)
                writers["payments"].writerows(_payment_line(region, p) for p in planned.payments)
    return portal


# --- Lines of formats/*.md -----------------------------------------------------------------
def _account_line(row: registry.AccountRow) -> dict[str, str]:
    return {
        "region": row.region,
        "number": row.number,
        "city": row.city,
        "street": row.street,
        "house": row.house,
        "flat": row.flat,
        "status": row.status,
        "replaced_by": row.replaced_by,
        "closed_on": _day(row.closed_on),
    }


def _meter_line(region: str, meter: history.MeterRow) -> dict[str, str]:
    return {
        "region": region,
        "account": meter.account,
        "service": meter.service,
        "serial": meter.serial,
        "zones": str(meter.zones),
        "digits": str(meter.digits),
        "installed_on": _day(meter.installed_on),
        "verification_due": _day(meter.verification_due),
        "removed_on": _day(meter.removed_on),
        "replaced_by": "",
    }


def _reading_line(region: str, reading: history.ReadingRow) -> dict[str, str]:
    t1, t2, t3 = (*map(str, reading.values), "", "")[:3]
    return {
        "region": region,
        "account": reading.account,
        "service": "electricity",
        "serial": reading.serial,
        "month": f"{reading.period:%Y-%m}",
        "t1": t1,
        "t2": t2,
        "t3": t3,
        "source": SOURCE_CODES[reading.source],
        "taken_at": reading.taken_at.isoformat(timespec="minutes"),
        "reading_id": f"DEMO-{region}-{reading.account}-{reading.period:%Y-%m}",
    }


def _accrual_line(region: str, accrual: history.AccrualRow) -> dict[str, str]:
    return {
        "region": region,
        "account": accrual.account,
        "month": f"{accrual.period:%Y-%m}",
        "service": accrual.service,
        "zone": ZONE_CODES[accrual.zone],
        "volume": _number(accrual.volume),
        "tariff": _number(accrual.tariff),
        "amount": _number(accrual.amount),
        "recalculation": _number(accrual.recalculation) if accrual.recalculation else "",
        "recalculation_reason": accrual.recalculation_reason,
    }


def _payment_line(region: str, payment: history.PaymentRow) -> dict[str, str]:
    return {
        "region": region,
        "account": payment.account,
        "paid_on": _day(payment.paid_on),
        "amount": _number(payment.amount),
        "channel": payment.channel,
        # One payment a month per account in the demo: the month names it at its source.
        "payment_id": f"DEMO-{region}-{payment.account}-{payment.paid_on:%Y-%m}",
    }


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _number(value: Decimal) -> str:
    return format(value, "f")  # never an exponent, the decimals as they are


# --- Loading -------------------------------------------------------------------------------
def _load(kind: str, path: Path, *, force: bool = False) -> list[str]:
    """Import one file; a batch neither done nor duplicate stops the demo with its reasons."""
    with path.open("rb") as file:
        batch = run_import(kind, file, file_name=path.name, source=SOURCE, force=force)
    if batch.status not in (ImportBatch.Status.DONE, ImportBatch.Status.DUPLICATE):
        rows = [f"строка {row.line}: {row.reason}" for row in batch.rejected_rows.all()[:SHOWN_REJECTED]]
        raise DemoLoadError(f"{path.name} (загрузка № {batch.pk}): {batch.message} {'; '.join(rows)}".strip())
    if batch.status == ImportBatch.Status.DUPLICATE:
        return []
    return [f"{path.name}: {batch.message} (журнал обмена, загрузка № {batch.pk})"]


def _registry_counts() -> tuple[int, int, int]:
    """Premises, accounts, closed accounts: the report says what the registry file added."""
    return (
        Premises.objects.count(),
        PersonalAccount.objects.count(),
        PersonalAccount.objects.filter(status=PersonalAccount.Status.CLOSED).count(),
    )
