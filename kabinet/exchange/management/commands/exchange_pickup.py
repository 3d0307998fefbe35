from django.core.management.base import BaseCommand, CommandError

from kabinet.exchange import kinds
from kabinet.exchange.commands import TerminalProgress
from kabinet.exchange.drop import pickup
from kabinet.exchange.models import ImportBatch


class Command(BaseCommand):
    help = (
        "Import the files waiting in the drop folder (KABINET_EXCHANGE_IN_DIR) and, when configured, "
        "in S3, once: what the Celery task import_drop_folder does every few minutes (docs/exchange.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress display")

    def handle(self, *args, no_progress: bool, **options):
        def progress_for(kind: str, name: str) -> TerminalProgress:
            return TerminalProgress(self.stderr._out, f"{kinds.get(kind).title}: {name}")

        picked = pickup(via="manage.py exchange_pickup", progress_for=None if no_progress else progress_for)
        if picked is None:
            raise CommandError("Папку обмена уже разбирает другой процесс; попробуйте позже.", returncode=3)
        if not picked:
            self.stdout.write("Новых файлов нет.")
        for item in picked:
            self.stdout.write(f"{item.name}: {item.batch.message} (загрузка № {item.batch.pk}) → {item.moved_to}")
        statuses = {item.batch.status for item in picked}
        if ImportBatch.Status.FAILED in statuses:
            raise CommandError("Загрузка некоторых файлов прервана: см. журнал обмена.", returncode=1)
        if ImportBatch.Status.REJECTED in statuses:
            raise CommandError("Некоторые файлы отклонены: см. журнал обмена.", returncode=2)
