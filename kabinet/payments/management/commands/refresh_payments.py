from django.core.management.base import BaseCommand

from kabinet.payments.services import refresh_pending


class Command(BaseCommand):
    help = "Ask the acquirer about payments and refunds still unfinished (what the periodic task does)."

    def handle(self, *args, **options):
        changed = refresh_pending()
        self.stdout.write(f"Платежей и возвратов с новым статусом: {changed}")
