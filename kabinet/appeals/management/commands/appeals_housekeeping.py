from django.core.management.base import BaseCommand

from kabinet.appeals.files import purge_stale_uploads
from kabinet.appeals.services import close_answered


class Command(BaseCommand):
    help = (
        "Close answered appeals past the reopen period and delete uploads of forms never sent. "
        "Without a Celery broker, run it daily from cron."
    )

    def handle(self, *args, **options):
        closed = close_answered()
        purged = purge_stale_uploads()
        self.stdout.write(f"closed answered appeals: {closed}; stale uploads deleted: {purged}")
