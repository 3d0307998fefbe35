"""Background steps of identity: the e-mail recovery link (see recovery.start_email_reset)."""

from celery import shared_task


@shared_task
def send_reset_link(email: str) -> bool:
    from kabinet.identity.recovery import send_reset_link as send

    return send(email)
