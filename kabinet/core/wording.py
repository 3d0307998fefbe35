"""Words both UI apps (portal and back office) show: when a lock ends."""

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format


def when(moment: datetime) -> str:
    """«14:32» today, «3 декабря 14:32» on another day."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return date_format(local, "H:i")
    return date_format(local, "j E H:i")


def locked_message(until: datetime) -> str:
    return f"Слишком много неудачных попыток. Повторите после {when(until)}."
