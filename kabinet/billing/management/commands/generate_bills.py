from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kabinet.billing.bill_jobs import generate_bills, parse_period, previous_month


class Command(BaseCommand):
    help = (
        "Generate the bills (PDF) of a month for every account with accruals in it. Safe to re-run: "
        "unchanged bills are skipped, changed ones regenerated. Without a Celery broker, run it monthly from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", help="the month, YYYY-MM (default: the previous month)")

    def handle(self, *args, **options):
        try:
            period = parse_period(options["period"]) if options["period"] else previous_month(timezone.localdate())
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(generate_bills(period)))
