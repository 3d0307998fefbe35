"""The history of an account's readings: every reading, replaced ones included, with the
consumption per zone since the previous current reading and how many months it covers."""

from dataclasses import dataclass

from kabinet.billing.access import customer_account_by, customer_account_query
from kabinet.billing.models import PersonalAccount
from kabinet.billing.periods import months_between
from kabinet.core.compiled import Compiled, RowsDigest, sentinel
from kabinet.readings.models import Meter, Reading
from kabinet.readings.validation import consumption


@dataclass
class HistoryRow:
    reading: Reading
    values: list[int | None]
    used: list[int | None]  # consumption per zone since the previous current reading
    months: int  # how many months that consumption covers

    @property
    def replaced(self) -> bool:
        return self.reading.replaced_by_id is not None

    @property
    def cells(self) -> list[tuple[str, int | None, int | None]]:
        """(zone label, reading, consumption) per zone."""
        return list(zip(self.reading.meter.zone_labels, self.values, self.used, strict=True))


@dataclass
class MeterHistory:
    meter: Meter
    rows: list[HistoryRow]  # newest first

    @property
    def labels(self) -> tuple[str, ...]:
        return self.meter.zone_labels


# Both reads compiled once per thread (core.compiled): building them cost the ORM more than
# PostgreSQL took to run them (docs/performance.md, step 12).
_METERS = Compiled(
    lambda account: (
        Meter.objects.filter(account=account)
        .select_related("service", "account__region", "replaced_by")
        .order_by("-is_active", "service__ordering", "-installed_on", "serial")
    ),
    sentinel.integer(0),
)
_READINGS = Compiled(
    lambda account: (
        Reading.objects.filter(meter__account=account)
        .select_related("replaced_by")
        .order_by("period", "taken_at", "pk")
    ),
    sentinel.integer(0),
)


# What the tables show of those rows, and what they are worked out and ordered by, as the digest
# reads it: every row of the two reads above with the columns the page depends on, not every
# column of every table joined (the account's and region's rows again, a replacement's whole row).
# PostgreSQL hashed a few hundred columns a view for about a hundred, and the statement carrying
# the digest was over psycopg's 4 096-byte limit for keeping its parsed text (docs/performance.md,
# step 24). A column the tables come to show must be added here: tests/portal/
# test_readings_history_cache.py changes each one and expects it on the next view.
_METERS_SHOWN = Compiled(
    lambda account: (
        Meter.objects.filter(account=account)
        .order_by()
        .values_list(
            "pk", "serial", "zones", "digits", "installed_on", "verification_due", "is_active", "removed_on",
            "service__name", "service__unit", "service__ordering", "replaced_by__serial",
            # The empty state of a meter never read names its region's window.
            "account__region__readings_from_day", "account__region__readings_to_day",
        )
    ),
    sentinel.integer(0),
)  # fmt: skip
_READINGS_SHOWN = Compiled(
    lambda account: (
        Reading.objects.filter(meter__account=account)
        .order_by()
        .values_list("pk", "meter_id", "period", "t1", "t2", "t3", "source", "taken_at", "replaced_by__taken_at")
    ),
    sentinel.integer(0),
)


def readings_digest_column(account_id: int) -> RowsDigest:
    """A digest of what `meter_histories` gives of the account `account_id` for the tables to
    show (its meters with their service, region's window and successor's serial; their readings
    with when each was replaced), as a column of a statement about that account: PostgreSQL's,
    NULL elsewhere. In a compiled build `account_id` is the build's sentinel."""
    return RowsDigest([(_METERS_SHOWN, (account_id,)), (_READINGS_SHOWN, (account_id,))])


# «История показаний» reads its account with the digest of what it shows (portal.fragments keeps
# the tables drawn under it): a page from the cache reads no meter or reading.
_HISTORY_ACCOUNT = Compiled(
    lambda user, account_id: customer_account_query(user, account_id).annotate(
        readings_digest=readings_digest_column(account_id)
    ),
    sentinel.integer(0),
    sentinel.integer(1),
)


def customer_history_account(user, account_id: int) -> PersonalAccount:
    """`billing.access.customer_account` with `readings_digest` (None where the database does not
    compute it): anyone else's account is simply not found."""
    return customer_account_by(_HISTORY_ACCOUNT, user, account_id)


def meter_histories(account: PersonalAccount) -> list[MeterHistory]:
    """Every reading of the account's meters, replaced ones included, with consumption per zone
    and month. Two queries whatever the length of the history. Removed meters come after the
    active ones: their readings stay the account's history (formats/meters.md)."""
    meters = _METERS.instances(account.pk)
    by_meter: dict[int, list[Reading]] = {meter.pk: [] for meter in meters}
    for reading in _READINGS.instances(account.pk) if meters else ():
        # Two statements, two snapshots: a meter moved to the account, or imported with its
        # readings, between them has readings here and no history yet (the next view shows it).
        if (readings := by_meter.get(reading.meter_id)) is not None:
            readings.append(reading)
    histories = []
    for meter in meters:
        rows, last = [], None
        for reading in by_meter[meter.pk]:
            reading.meter = meter
            values = [getattr(reading, zone) for zone in meter.zone_fields]
            used, months = [None] * len(values), 0
            if reading.replaced_by_id is None:
                if last is not None:
                    used = [
                        consumption(getattr(last, zone) or 0, value or 0, meter.capacity)
                        for zone, value in zip(meter.zone_fields, values, strict=True)
                    ]
                    months = months_between(last.period, reading.period)
                last = reading
            rows.append(HistoryRow(reading, values, used, months))
        histories.append(MeterHistory(meter, rows[::-1]))
    return histories
