"""Pieces several kinds share: a month column, and the check that each row's account exists."""

from collections.abc import Iterator
from datetime import date
import re

from kabinet.billing.models import PersonalAccount, Region
from kabinet.exchange.kinds import RowError

ACCOUNTS = PersonalAccount._meta.db_table
MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str, name: str = "month") -> date:
    """«2026-10» → 2026-10-01; anything else is the row's error."""
    match = MONTH.fullmatch(text)
    if match and 1 <= int(match[2]) <= 12 and int(match[1]) >= 1900:
        return date(int(match[1]), int(match[2]), 1)
    raise RowError(f"{name}: «{text}» — ожидается месяц ГГГГ-ММ, например 2026-10")


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
