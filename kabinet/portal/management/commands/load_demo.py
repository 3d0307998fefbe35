"""`manage.py load_demo`: the demo regions, registry and customers (kabinet/billing/demo.py),
the appeals' taxonomy, back-office staff and a few appeals (kabinet/appeals/demo.py), then
every account's meter and two years of history (kabinet/readings/demo.py): about 10 seconds
on an empty SQLite database, nothing on the next starts."""

from django.core.management.base import BaseCommand

from kabinet.appeals import demo as appeals_demo
from kabinet.billing import demo
from kabinet.readings import demo as history_demo


class Command(BaseCommand):
    help = "Load the demo data; safe to run on every start (idempotent)."

    def handle(self, *args, **options) -> None:
        report = demo.load_demo()
        appeal_lines = appeals_demo.load_demo() + history_demo.load_demo()
        if not report.changed and not appeal_lines:
            self.stdout.write("Demo data already loaded: nothing to do.")
            for line in report.lines:
                self.stdout.write(self.style.WARNING(line))
            return
        self.stdout.write(
            f"Demo data loaded: {report.regions} regions, {report.premises} premises, "
            f"{report.accounts} accounts ({report.closed_accounts} closed), "
            f"{report.customers} customers, {report.superusers} superuser."
        )
        for line in report.lines + appeal_lines:
            self.stdout.write(f"  {line}")
        if report.customers or report.superusers:
            self.stdout.write(
                f"Customers' password: {demo.DEMO_PASSWORD}; /admin/: {demo.ADMIN_PHONE} / {demo.ADMIN_PASSWORD}"
            )
        if appeal_lines:
            self.stdout.write(f"Back office /backoffice/: staff e-mails above, password {appeals_demo.STAFF_PASSWORD}")
