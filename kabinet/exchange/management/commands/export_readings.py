from datetime import date
from pathlib import Path
import re

from django.core.management.base import BaseCommand, CommandError

from kabinet.exchange.exports import export_readings
from kabinet.exchange.models import ExportBatch


def month(text: str) -> date:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise CommandError(f"--period «{text}»: нужен месяц в виде ГГГГ-ММ, например 2026-11")
    return date(int(text[:4]), int(text[5:]), 1)


class Command(BaseCommand):
    help = (
        "Write the readings customers submitted in Kabinet for billing (formats/readings-export.md): "
        "every one not exported yet, or with --period a month's again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", type=month, help="YYYY-MM: all of that month's readings again, marking nothing")
        parser.add_argument("--out", type=Path, help="folder for the file (default KABINET_EXCHANGE_OUT_DIR)")

    def handle(self, *args, period: date | None, out: Path | None, **options):
        batch = export_readings(period=period, out_dir=out, source="manage.py export_readings")
        if batch.status != ExportBatch.Status.DONE:
            raise CommandError(f"{batch.message} (выгрузка № {batch.pk})", returncode=1)
        self.stdout.write(f"{batch.message} (выгрузка № {batch.pk})")
