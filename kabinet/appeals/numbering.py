"""Registration numbers: «66-2026-000123», region code, year, and a sequence per region and
year without gaps (a number is taken in the transaction that creates the appeal, so a
rollback gives it back)."""

from django.db import transaction

from kabinet.appeals.models import NumberCounter
from kabinet.billing.models import Region


def next_number(region: Region, year: int) -> str:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that creates the appeal")
    # INSERT … ON CONFLICT DO NOTHING: the first appeal of a year creates the row; a second
    # transaction racing for it waits on the conflict instead of failing.
    NumberCounter.objects.bulk_create([NumberCounter(region=region, year=year)], ignore_conflicts=True)
    counter = NumberCounter.objects.select_for_update().get(region=region, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{region.code}-{year}-{counter.last:06d}"
