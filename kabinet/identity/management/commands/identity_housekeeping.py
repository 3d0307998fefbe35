from django.core.management.base import BaseCommand

from kabinet.identity.email_confirmation import purge_stale


class Command(BaseCommand):
    help = (
        "Delete e-mail confirmation links used, voided or expired more than 30 days ago. "
        "Without a Celery broker, run it daily from cron."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"stale e-mail confirmation links deleted: {purge_stale()}")
