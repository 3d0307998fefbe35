"""Pieces several kinds share: the parsers of a region and service code, an account number, a
number, a date and a month — each with one wording of its reason, «column: «value» — what is
wrong» — and the check that each row's account exists."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
import re

from django.db.models import DecimalField

from kabinet.billing.models import PersonalAccount, Region, Service
from kabinet.exchange.kinds import RowError

ACCOUNTS = PersonalAccount._meta.db_table
NUMBER_LIMIT = PersonalAccount._meta.get_field("number").max_length
MONTH = re.compile(r"(\d{4})-(\d{2})")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Digits with an optional minus and a decimal point: no spaces, no comma, no exponent, no "+".
DECIMAL = re.compile(r"-?(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class RegionRef:
    pk: int
    name: str
    pattern: re.Pattern
    hint: str
    closed_through: date | None


def regions() -> dict[str, RegionRef]:
    """The regions by code (a kind's row parser loads them once a file)."""
    return {
        r.code: RegionRef(r.pk, r.name, re.compile(r.account_number_pattern), r.account_number_hint, r.closed_through)
        for r in Region.objects.all()
    }


def region_of(known: dict[str, RegionRef], code: str) -> RegionRef:
    region = known.get(code)
    if region is None:
        raise RowError(f"region: «{code}» — неизвестный код региона")
    return region


def check_number(region: RegionRef, number: str, column: str = "account") -> None:
    """An account number that the region's pattern allows (the registry is checked in SQL)."""
    if region.pattern.fullmatch(number) is None or len(number) > NUMBER_LIMIT:
        raise RowError(f"{column}: «{number}» — номер не подходит региону «{region.name}» ({region.hint})")


def services() -> dict[str, int]:
    """Service ids by code."""
    return dict(Service.objects.values_list("code", "pk"))


def service_of(known: dict[str, int], code: str) -> int:
    service_id = known.get(code)
    if service_id is None:
        raise RowError(f"service: «{code}» — неизвестный код услуги")
    return service_id


def parse_decimal(name: str, text: str, field: DecimalField, *, negative: bool = False, zero: bool = True) -> Decimal:
    """The number exactly as written, within the model's `field`: more decimal places than it
    has is an error, never rounded away; so are more digits before the point. A negative value
    only where `negative`, zero only where `zero`."""
    match = DECIMAL.fullmatch(text)
    if match is None:
        raise RowError(f"{name}: «{text}» — ожидается число с точкой, например 1234.56")
    value = Decimal(text)
    if value < 0 and not negative:
        raise RowError(f"{name}: «{text}» — значение не может быть отрицательным")
    if value == 0 and not zero:
        raise RowError(f"{name}: «{text}» — значение должно быть больше нуля")
    if len(match[2] or "") > field.decimal_places:
        raise RowError(f"{name}: «{text}» — не больше {field.decimal_places} знаков после точки")
    whole = field.max_digits - field.decimal_places
    if len(match[1].lstrip("0")) > whole:
        raise RowError(f"{name}: «{text}» — слишком большое число: не больше {whole} цифр до точки")
    return value


def parse_date(name: str, text: str, *, required: bool = False) -> date | None:
    """«2026-10-05» → the date; empty → None (or the row's error when `required`)."""
    if not text:
        if required:
            raise RowError(f"{name}: не заполнена дата")
        return None
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise RowError(f"{name}: «{text}» — ожидается дата ГГГГ-ММ-ДД")


def iso(day: date | None) -> str | None:
    """A date as the staging table takes it on both databases."""
    return None if day is None else day.isoformat()


def parse_month(text: str, name: str = "month", latest: date | None = None) -> date:
    """«2026-10» → 2026-10-01, not after the month `latest`; anything else is the row's error."""
    match = MONTH.fullmatch(text)
    if not (match and 1 <= int(match[2]) <= 12 and int(match[1]) >= 1900):
        raise RowError(f"{name}: «{text}» — ожидается месяц ГГГГ-ММ, например 2026-10")
    month = date(int(match[1]), int(match[2]), 1)
    if latest is not None and month > latest:
        raise RowError(f"{name}: «{text}» — месяц ещё не наступил")
    return month


def unknown_accounts(stage, number: str = "number") -> Iterator[tuple[int, str]]:
    """(line, reason) for each staged row whose account (region_id + the `number` column) is not
    in the registry, in line order."""
    names = dict(Region.objects.values_list("pk", "name"))
    for line, region_id, account in stage.stream(
        f"""SELECT s.line, s.region_id, s.{number} FROM {stage.table} s
        WHERE NOT EXISTS (SELECT 1 FROM {ACCOUNTS} a WHERE a.region_id = s.region_id AND a.number = s.{number})
        ORDER BY s.line"""
    ):
        yield line, f"лицевой счёт {account} не найден в регионе «{names.get(region_id, region_id)}»"
