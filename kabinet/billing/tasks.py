"""Monthly bill work (Celery beat in production, see CELERY_BEAT_SCHEDULE; `manage.py
generate_bills` and `manage.py send_electronic_bills` from cron in the embedded mode). Both
are safe to re-run: unchanged bills are skipped, and a month's bill is e-mailed once."""

from celery import shared_task
from django.utils import timezone

from kabinet.billing.bill_jobs import generate_bills, parse_period, previous_month, send_electronic_bills


def _period(value: str | None):
    return parse_period(value) if value else previous_month(timezone.localdate())


@shared_task
def generate_monthly_bills(period: str | None = None) -> str:
    """Bills of `period` («YYYY-MM»; the previous month by default) for all accounts."""
    return str(generate_bills(_period(period)))


@shared_task
def send_monthly_electronic_bills(period: str | None = None) -> str:
    """«Электронная квитанция»: the month's bill to every subscribed account, once."""
    return str(send_electronic_bills(_period(period)))
