"""`manage.py load_demo`: the demo regions, customers and every account's meter and two years
of history, the billing part written as the exchange's files and loaded through its import
(kabinet/exchange/demo.py); then the appeals' taxonomy, back-office staff and a few appeals
(kabinet/appeals/demo.py). About 20 seconds on an empty SQLite database (15 s of CPU); on the
next starts the registry file is a duplicate and nothing else is written."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from kabinet.appeals import demo as appeals_demo
from kabinet.billing import demo
from kabinet.exchange import demo as exchange_demo
from kabinet.identity import second_factor
from kabinet.identity.models import User

# The demo staff's authenticator key (README «Demo logins»): DEBUG only.
DEMO_TOTP_KEY = KEY = "KABI NET2 DEMO 3STA FF4S ECON D5FA CTOR"


class Command(BaseCommand):
    help = "Load the demo data; safe to run on every start (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--keep-files",
            metavar="DIR",
            type=Path,
            help="write the demo's exchange files (accounts.csv, meters.csv, …) to DIR and keep them "
            "(default: a temporary folder, deleted afterwards)",
        )

    def handle(self, *args, **options) -> None:
        try:
            report = exchange_demo.load_demo(folder=options["keep_files"])
        except exchange_demo.DemoLoadError as exc:
            raise CommandError(f"Демо-данные не загружены, ничего не изменено: {exc}") from exc
        appeal_lines = appeals_demo.load_demo() + self._second_factor()
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
        if settings.DEBUG:
            self.stdout.write(f"Staff sign in with a code from an authenticator app with the key {DEMO_TOTP_KEY}")

    def _second_factor(self) -> list[str]:
        """Employees must enter a code from an authenticator app: in the demo (DEBUG only) they
        have one set up with the key README gives, so the demo needs no phone set-up."""
        if not settings.DEBUG:
            return []
        staff = User.objects.filter(Q(phone=demo.ADMIN_PHONE) | Q(email__in=[s.email for s in appeals_demo.STAFF]))
        return [
            f"second factor of {u.email or u.phone}" for u in staff if second_factor.set_up_for_demo(u, DEMO_TOTP_KEY)
        ]
