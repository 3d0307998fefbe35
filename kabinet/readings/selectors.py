"""The readings the rules and the pages look at: an account's meters, a meter's current readings
(not replaced by a later submission of the same window) and the one to check new values against."""

from datetime import date

from kabinet.billing.models import PersonalAccount
from kabinet.readings.models import Meter, Reading


def account_meters(account: PersonalAccount):
    return Meter.objects.filter(account=account, is_active=True).select_related("service", "account__region")


def current_readings(meter: Meter):
    """Readings not replaced by a later submission of the same window."""
    return meter.readings.filter(replaced_by__isnull=True)


def previous_reading(meter: Meter, before: date | None = None) -> Reading | None:
    """The latest current reading; with `before`, the latest for a month before it (so a
    second submission in a window is checked against the month before, not the first one)."""
    readings = current_readings(meter)
    if before is not None:
        readings = readings.filter(period__lt=before)
    return readings.order_by("-period", "-taken_at", "-pk").first()


def sent_in_window(meter: Meter, period: date) -> Reading | None:
    """The reading already sent for `period`: a new submission in the window replaces it."""
    return current_readings(meter).filter(period=period).order_by("-taken_at", "-pk").first()
