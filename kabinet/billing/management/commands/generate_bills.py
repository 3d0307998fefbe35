from django.core.management.base import BaseCommand, CommandError

from kabinet.billing.bill_jobs import generate_bills_in_processes, period_or_previous


class Command(BaseCommand):
    help = (
        "Generate the bills (PDF) of a month for every account with accruals in it. Safe to re-run: "
        "unchanged bills are skipped, changed ones regenerated. Without a Celery broker, run it monthly from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", help="the month, YYYY-MM (default: the previous month)")
        parser.add_argument(
            "--processes", type=int, default=1, help="share the job among this many local processes (default: 1)"
        )

    def handle(self, *args, **options):
        try:
            period = period_or_previous(options["period"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["processes"] < 1:
            raise CommandError("--processes must be 1 or more")
        self.stdout.write(str(generate_bills_in_processes(period, options["processes"])))
