from django.core.management.base import BaseCommand, CommandError

from kabinet.billing.bill_jobs import period_or_previous, send_electronic_bills


class Command(BaseCommand):
    help = (
        "«Электронная квитанция»: e-mail a month's bill to every subscribed account (once per month). "
        "Without a Celery broker, run it monthly from cron, after generate_bills."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", help="the month, YYYY-MM (default: the previous month)")

    def handle(self, *args, **options):
        try:
            period = period_or_previous(options["period"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(send_electronic_bills(period)))
