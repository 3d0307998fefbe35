"""`manage.py backup_check MANIFEST`: compare this database and these storages (a restored
copy) with a backup's manifest; print the table and exit 1 on any difference
(deploy/restore-drill.sh runs it; docs/backup.md)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kabinet.core import backup


class Command(BaseCommand):
    help = "Compare the database and private files with a backup's manifest.json; exit 1 on a mismatch."

    def add_arguments(self, parser) -> None:
        parser.add_argument("manifest", type=Path)

    def handle(self, *args, manifest: Path, **options) -> None:
        expected = json.loads(manifest.read_text(encoding="utf-8"))
        rows = backup.compare(expected, backup.current_state())
        width = max(len(row.name) for row in rows)
        self.stdout.write(f"{'':{width}}  {'backup':>12}  {'restored':>12}")
        for row in rows:
            mark = "OK" if row.ok else "FAIL"
            self.stdout.write(f"{row.name:{width}}  {row.expected!s:>12}  {row.found!s:>12}  {mark}")
        failed = [row for row in rows if not row.ok]
        if failed:
            raise CommandError(f"FAIL: {len(failed)} of {len(rows)} figures differ from the backup")
        self.stdout.write(self.style.SUCCESS(f"OK: all {len(rows)} figures match the backup"))
