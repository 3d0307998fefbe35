"""Submitting meter readings: all meters of the account in one transaction, or nothing. A second
submission in the same window replaces the first; the history keeps both. The window is
kabinet/readings/window.py, the checks of typed values kabinet/readings/validation.py; views and
the API only collect what the customer typed and show what comes back."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
import logging

from django.db import DatabaseError, transaction
from django.utils import timezone

from kabinet.billing.models import PersonalAccount
from kabinet.readings.models import Reading
from kabinet.readings.selectors import account_meters
from kabinet.readings.validation import UNUSUAL, MeterCheck, check_meter
from kabinet.readings.window import Window, reading_window

logger = logging.getLogger(__name__)


class ReadingsRefused(Exception):
    """The account cannot send readings now (window closed, account closed, no meters)."""


class ReadingsNotSaved(Exception):
    """Saving failed; nothing was stored and the previous readings stand."""

    def __init__(self):
        super().__init__(
            "Не удалось сохранить показания: ничего не передано, прежние показания сохранены. "
            "Попробуйте ещё раз через несколько минут."
        )


@dataclass
class Submission:
    window: Window
    checks: list[MeterCheck]
    saved: list[Reading] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.saved)


def refusal(account: PersonalAccount, window: Window) -> str:
    """Why the account cannot send readings now; empty when it can."""
    if not account.is_active:
        return "Лицевой счёт закрыт: показания по нему не принимаются."
    if not window.is_open:
        return window.closed_message
    return ""


def submit_readings(
    user,
    account: PersonalAccount,
    values: Mapping[int, Mapping[str, str]],
    confirmations: Mapping[int, Collection[str]] | None = None,
    *,
    today: date | None = None,
) -> Submission:
    """Check and store the readings of all the account's meters: `values` maps a meter's id to
    its zones' typed values ("t1", "t2", "t3"), `confirmations` a meter's id to the warnings the
    customer confirmed ("wrap-t1", "unusual"). Stores every meter or none: with any error or an
    unconfirmed warning nothing is written and the checks say why."""
    window = reading_window(account.region, today)
    if reason := refusal(account, window):
        raise ReadingsRefused(reason)
    confirmations = confirmations or {}
    try:
        with transaction.atomic():
            # Locked so that two submissions of one account run one after the other.
            meters = list(account_meters(account).select_for_update(of=("self",)))
            if not meters:
                raise ReadingsRefused("По этому лицевому счёту нет счётчиков, показания которых передаются.")
            checks = [
                check_meter(meter, values.get(meter.pk, {}), confirmations.get(meter.pk, ()), period=window.period)
                for meter in meters
            ]
            if not all(check.ok for check in checks):
                return Submission(window, checks)
            now = timezone.now()
            saved = [_store(check, user, window.period, now) for check in checks]
    except DatabaseError as exc:
        logger.exception("readings of account %s not saved", account.pk)
        raise ReadingsNotSaved from exc
    return Submission(window, checks, saved)


def _store(check: MeterCheck, user, period: date, now) -> Reading:
    reading = Reading(
        meter=check.meter,
        period=period,
        source=Reading.Source.PORTAL,
        taken_at=now,
        submitted_by=user,
        wrapped=check.wrapped,
        unusual_confirmed=UNUSUAL in check.asks,
        **check.values,
    )
    reading.save()
    if check.current is not None:
        check.current.replaced_by = reading
        check.current.save(update_fields=["replaced_by"])
    return reading
