from datetime import date

from django.core.management.base import BaseCommand

from kabinet.payments.autocharge import run


class Command(BaseCommand):
    help = (
        "Autopayments: reminders for tomorrow, today's charges and the outcomes of earlier ones "
        "(what the daily task does). Safe to run again the same day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="run as if today were this day (YYYY-MM-DD)")

    def handle(self, *args, **options):
        self.stdout.write(f"Автоплатежи: {run(options['date'])}")
