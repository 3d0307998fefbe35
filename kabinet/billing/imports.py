"""Loading the registry of personal accounts from the billing system's export
(format: formats/accounts.md). Idempotent: a re-run updates accounts by region and number."""

from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from django.db import transaction

from kabinet.billing.models import PersonalAccount, Premises, Region
from kabinet.core.csv_import import RowError, reader_with_columns

COLUMNS = ["region", "number", "city", "street", "house", "flat", "status", "replaced_by", "closed_on"]
STATUSES = {"active": PersonalAccount.Status.ACTIVE, "closed": PersonalAccount.Status.CLOSED}


@dataclass(frozen=True)
class AccountRow:
    line: int
    region: Region
    number: str
    address: tuple[str, str, str, str]  # city, street, house, flat
    status: str
    replaced_by: str
    closed_on: date | None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def import_accounts(stream: TextIO, *, dry_run: bool = False) -> ImportReport:
    """Create or update accounts and their premises; then link replacements, which may point
    to accounts further down the file. Bad rows are skipped and reported by line number."""
    reader = reader_with_columns(stream, COLUMNS)
    regions = {r.code: r for r in Region.objects.all()}
    report = ImportReport()
    replacements: list[AccountRow] = []
    with transaction.atomic():
        for row in reader:
            try:
                parsed = _parse(reader.line_num, row, regions)
                _save(parsed, report)
            except RowError as exc:
                report.errors.append(f"строка {reader.line_num}: {exc}")
                continue
            if parsed.replaced_by:
                replacements.append(parsed)
        for parsed in replacements:
            try:
                _link_replacement(parsed)
            except RowError as exc:
                report.errors.append(f"строка {parsed.line}: {exc}")
        if dry_run:
            transaction.set_rollback(True)
    return report


def _parse(line: int, row: dict, regions: dict[str, Region]) -> AccountRow:
    values = {name: (row.get(name) or "").strip() for name in COLUMNS}
    region = regions.get(values["region"])
    if region is None:
        raise RowError(f"неизвестный код региона «{values['region']}»")
    number = values["number"]
    if not region.account_number_matches(number):
        raise RowError(f"номер «{number}» не подходит региону «{region.name}» ({region.account_number_hint})")
    if not all(values[name] for name in ("city", "street", "house")):
        raise RowError("не заполнены city, street или house")
    status = STATUSES.get(values["status"] or "active")
    if status is None:
        raise RowError(f"status: «{values['status']}» — ожидается active или closed")
    if values["replaced_by"] and status != PersonalAccount.Status.CLOSED:
        raise RowError("replaced_by указан у действующего счёта")
    return AccountRow(
        line=line,
        region=region,
        number=number,
        address=(values["city"][:100], values["street"][:150], values["house"][:20], values["flat"][:20]),
        status=status,
        replaced_by=values["replaced_by"],
        closed_on=_date(values["closed_on"]),
    )


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RowError(f"closed_on: «{text}» — ожидается дата ГГГГ-ММ-ДД") from None


def _save(row: AccountRow, report: ImportReport) -> None:
    city, street, house, flat = row.address
    premises, _ = Premises.objects.get_or_create(region=row.region, city=city, street=street, house=house, flat=flat)
    fields = {"premises": premises, "status": row.status, "closed_on": row.closed_on}
    if row.status == PersonalAccount.Status.ACTIVE:
        fields["replaced_by"] = None  # a reopened account replaces nothing
    _, created = PersonalAccount.objects.update_or_create(region=row.region, number=row.number, defaults=fields)
    if created:
        report.created += 1
    else:
        report.updated += 1


def _link_replacement(row: AccountRow) -> None:
    if row.replaced_by == row.number:
        raise RowError("счёт не может заменять сам себя")
    successor = PersonalAccount.objects.filter(region=row.region, number=row.replaced_by).first()
    if successor is None:
        raise RowError(f"replaced_by: счёт {row.replaced_by} не найден в регионе «{row.region.name}»")
    PersonalAccount.objects.filter(region=row.region, number=row.number).update(replaced_by=successor)
