from django.core.management.base import BaseCommand

from kabinet.identity import api_tokens, email_confirmation


class Command(BaseCommand):
    help = (
        "Delete e-mail confirmation links, and API tokens and sign-ins, used, voided, revoked or "
        "expired more than 30 days ago. "
        "Without a Celery broker, run it daily from cron."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"stale e-mail confirmation links deleted: {email_confirmation.purge_stale()}")
        self.stdout.write(f"stale API tokens and sign-ins deleted: {api_tokens.purge_stale()}")
