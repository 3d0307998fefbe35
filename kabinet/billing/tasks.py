"""Monthly bill work (Celery beat in production, see CELERY_BEAT_SCHEDULE; `manage.py
generate_bills` and `manage.py send_electronic_bills` from cron in the embedded mode). Both
are safe to re-run: unchanged bills are skipped, and a month's bill is e-mailed once."""

from celery import shared_task

from kabinet.billing.bill_jobs import bill_batches, generate_bills, period_or_previous, send_electronic_bills
from kabinet.billing.periods import parse_period


@shared_task
def generate_monthly_bills(period: str | None = None) -> str:
    """Bills of `period` («YYYY-MM»; the previous month by default) for all accounts: one task
    per batch of accounts, so every worker shares the job (a million accounts is about 11 hours
    for one worker, see docs/bills.md)."""
    month = period_or_previous(period)
    batches = bill_batches(month)
    for first_id, last_id in batches:
        generate_bill_batch.delay(f"{month:%Y-%m}", first_id, last_id)
    return f"bills for {month:%Y-%m}: {len(batches)} batches queued"


@shared_task
def generate_bill_batch(period: str, first_id: int, last_id: int) -> str:
    """The bills of one batch of accounts. Safe to run again (acks late: a batch whose worker
    was lost is delivered again and skips the bills already stored)."""
    return str(generate_bills(parse_period(period), first_id, last_id))


@shared_task
def send_monthly_electronic_bills(period: str | None = None) -> str:
    """«Электронная квитанция»: the month's bill to every subscribed account, once."""
    return str(send_electronic_bills(period_or_previous(period)))
