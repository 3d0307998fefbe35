from celery import shared_task

from kabinet.payments.services import refresh_pending


@shared_task
def refresh_pending_payments() -> int:
    """Every 10 minutes (CELERY_BEAT_SCHEDULE): the payments and refunds still unfinished."""
    return refresh_pending()


@shared_task
def charge_autopayments() -> str:
    """Daily (CELERY_BEAT_SCHEDULE): reminders for tomorrow, today's autopayment charges,
    outcomes of earlier ones. Safe to run again the same day (payments.autocharge)."""
    from kabinet.payments.autocharge import run

    return str(run())


@shared_task
def settle_autopayment_setups() -> int:
    """Every 10 minutes: autopayments whose first payment finished while the customer was away."""
    from kabinet.payments.autopayments import settle_setups

    return settle_setups()
