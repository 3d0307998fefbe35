"""`manage.py backup_manifest DIR`: dump the database and copy the private files into DIR
with a manifest of what they hold (deploy/backup.sh wraps it; docs/backup.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kabinet.core import backup


class Command(BaseCommand):
    # set-based: not a write (a help text)
    help = "Dump the database (pg_dump, one snapshot with the counts) and copy the private files into an empty DIR."

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder", type=Path, metavar="DIR")

    def handle(self, *args, folder: Path, **options) -> None:
        try:
            manifest = backup.write_backup(folder)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = manifest["rows"]
        self.stdout.write(
            f"database: {manifest['database']['bytes']} bytes, {sum(rows.values())} rows in {len(rows)} tables"
        )
        for alias, files in manifest["files"].items():
            self.stdout.write(f"files[{alias}]: {files['count']} files, {files['bytes']} bytes")
