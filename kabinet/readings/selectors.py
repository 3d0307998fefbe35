"""The readings the rules and the pages look at: an account's meters, a meter's current readings
(not replaced by a later submission of the same window) and the one to check new values against."""

from datetime import date

from django.db.models import F, FilteredRelation, OuterRef, Q, QuerySet, Subquery

from kabinet.billing.access import customer_account_query
from kabinet.billing.models import PersonalAccount
from kabinet.readings.models import Meter, Reading

# Which current reading comes first: the one to check against, and the one sent in a window.
PREVIOUS_FIRST = ("-period", "-taken_at", "-pk")
SENT_FIRST = ("-taken_at", "-pk")


def active_meters(account: PersonalAccount) -> QuerySet[Meter]:
    return Meter.objects.filter(account=account, is_active=True)


def account_meters(account: PersonalAccount) -> QuerySet[Meter]:
    return active_meters(account).select_related("service", "account__region")


def current_readings(meter: Meter):
    """Readings not replaced by a later submission of the same window."""
    return meter.readings.filter(replaced_by__isnull=True)


def previous_reading(meter: Meter, before: date | None = None) -> Reading | None:
    """The latest current reading; with `before`, the latest for a month before it (so a
    second submission in a window is checked against the month before, not the first one)."""
    readings = current_readings(meter)
    if before is not None:
        readings = readings.filter(period__lt=before)
    return readings.order_by(*PREVIOUS_FIRST).first()


def sent_in_window(meter: Meter, period: date) -> Reading | None:
    """The reading already sent for `period`: a new submission in the window replaces it."""
    return current_readings(meter).filter(period=period).order_by(*SENT_FIRST).first()


READING_COLUMNS = tuple(field.attname for field in Reading._meta.concrete_fields)


def meters_and_window_readings(account: PersonalAccount | int, period: date) -> QuerySet[Meter]:
    """The account's active meters, each once per reading it has of `previous_reading(meter,
    before=period)` and `sent_in_window(meter, period)` (none: once, with no reading), that
    reading's columns as `window_<column>`: the meters and their readings in one statement (a
    join on a FilteredRelation whose condition is the two rules as subqueries)."""
    current = Reading.objects.filter(meter=OuterRef("pk"), replaced_by__isnull=True)
    previous = Subquery(current.filter(period__lt=period).order_by(*PREVIOUS_FIRST).values("pk")[:1])
    sent = Subquery(current.filter(period=period).order_by(*SENT_FIRST).values("pk")[:1])
    in_window = FilteredRelation("readings", condition=Q(readings__pk__in=[previous, sent]))
    return (
        active_meters(account)
        .select_related("service")
        .annotate(in_window=in_window)
        .annotate(**{f"window_{name}": F(f"in_window__{name}") for name in READING_COLUMNS})
        # Meter's order ("account", its own order, would join the account and its region: all
        # these meters are the one account's), then a meter's rows by their reading's month.
        .order_by("account_id", "service__ordering", "serial", "pk", "in_window__period")
    )


def customer_meters_and_window_readings(user, account_id: int, period: date) -> QuerySet[Meter]:
    """`meters_and_window_readings` of the account `account_id` if it is `user`'s
    (billing.access), each row's account with what `customer_account` reads with it (its premises
    and region): the account and its meters in one statement. No row: the account has no active
    meter, or is not theirs."""
    return (
        meters_and_window_readings(account_id, period)
        .filter(account__in=customer_account_query(user, account_id).values("pk"))
        .select_related("account__premises", "account__region")
    )
