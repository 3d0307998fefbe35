"""Background steps of identity: the e-mail recovery link (see recovery.start_email_reset), and
periodic housekeeping (Celery beat in production; `manage.py identity_housekeeping` from cron
in the embedded mode)."""

from celery import shared_task


@shared_task
def send_reset_link(email: str) -> bool:
    from kabinet.identity.recovery import send_reset_link as send

    return send(email)


@shared_task
def purge_email_confirmations() -> int:
    from kabinet.identity.email_confirmation import purge_stale

    return purge_stale()


@shared_task
def purge_api_tokens() -> int:
    from kabinet.identity.api_tokens import purge_stale

    return purge_stale()
