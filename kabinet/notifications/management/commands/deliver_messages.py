from django.core.management.base import BaseCommand

from kabinet.notifications.tasks import redeliver_due_messages


class Command(BaseCommand):
    help = (
        "Send queued SMS and e-mails whose next attempt is due. Without a Celery broker, "
        "run it every minute (cron or a systemd timer) so failed sends are retried."
    )

    def handle(self, *args, **options):
        count = redeliver_due_messages()
        self.stdout.write(f"messages due: {count}")
