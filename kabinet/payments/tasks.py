from celery import shared_task

from kabinet.payments.services import refresh_pending


@shared_task
def refresh_pending_payments() -> int:
    """Every 10 minutes (CELERY_BEAT_SCHEDULE): the payments and refunds still unfinished."""
    return refresh_pending()
