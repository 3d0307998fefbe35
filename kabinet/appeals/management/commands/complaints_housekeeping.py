"""Wipe the identity data of complaints closed KABINET_COMPLAINT_PD_RETENTION_DAYS ago or filed
KABINET_COMPLAINT_PD_MAX_DAYS ago (the Celery beat task's twin for cron, daily)."""

from django.core.management.base import BaseCommand

from kabinet.appeals.complaints import wipe_expired_personal_data


class Command(BaseCommand):
    help = "Удалить данные документов жалоб, срок хранения которых истёк"

    def handle(self, *args, **options):
        self.stdout.write(f"Жалоб с удалёнными персональными данными: {wipe_expired_personal_data()}")
