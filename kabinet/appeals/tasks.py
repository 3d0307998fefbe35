"""Periodic housekeeping of appeals (Celery beat in production; `manage.py appeals_housekeeping`
from cron in the embedded mode)."""

from celery import shared_task

from kabinet.appeals.files import purge_stale_uploads
from kabinet.appeals.services import close_answered


@shared_task
def close_answered_appeals() -> int:
    return close_answered()


@shared_task
def purge_uploads() -> int:
    return purge_stale_uploads()


@shared_task
def wipe_complaint_personal_data() -> int:
    from kabinet.appeals.complaints import wipe_expired_personal_data

    return wipe_expired_personal_data()
