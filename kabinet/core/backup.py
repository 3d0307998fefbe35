"""Backups (docs/backup.md): the database dump and the private files, with a manifest that
says what they hold, so a restore can be checked against it (deploy/backup.sh,
deploy/restore-drill.sh).

The tables counted are every model Django knows, read from the app registry: a new model is
counted without anyone editing a list. The dump and the counts are taken in one PostgreSQL
snapshot (pg_dump --snapshot), so a portal that keeps writing during the backup cannot make
them disagree. Files are read through Django's storages, so the same code copies a local
folder or an S3 bucket (django-storages) when one is configured.
"""

from collections.abc import Iterator
from dataclasses import dataclass
import hashlib
import json
import os
from pathlib import Path
import subprocess

from django.apps import apps
from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.functional import LazyObject, empty

FORMAT = 1
DUMP_NAME = "database.dump"
MANIFEST_NAME = "manifest.json"
SUMS_NAME = "SHA256SUMS"
FILES_DIR = "files"
# The storages that hold what customers and the portal wrote: appeal attachments, bills, the
# files of e-mails in the log ("attachments"), and anything left on Django's default storage.
# Static files are built from the release and are not backed up.
STORAGE_ALIASES = ("attachments", "default")
CHUNK = 1 << 20


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Row:
    """One line of a check: what the backup said, what the restored copy has."""

    name: str
    expected: object
    found: object

    @property
    def ok(self) -> bool:
        return self.expected == self.found


def row_counts() -> dict[str, int]:
    """Rows in every concrete table of every installed model (the base manager: no filtering)."""
    return {
        model._meta.label: model._base_manager.count()
        for model in sorted(apps.get_models(), key=lambda m: m._meta.label)
        if model._meta.managed and not model._meta.proxy
    }


def _file_fields() -> Iterator[tuple[type[models.Model], models.FileField]]:
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                yield model, field


def _unwrap(storage: Storage) -> Storage:
    if isinstance(storage, LazyObject):
        if storage._wrapped is empty:
            storage._setup()
        return storage._wrapped
    return storage


def _alias_of(storage: Storage) -> str | None:
    target = _unwrap(storage)
    return next((alias for alias in STORAGE_ALIASES if _unwrap(storages[alias]) is target), None)


def referenced_files() -> dict[str, tuple[str | None, list[str]]]:
    """Model.field → (its storage's alias, the file names its rows point to)."""
    found = {}
    for model, field in _file_fields():
        names = model._base_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True)
        found[f"{model._meta.label}.{field.name}"] = (_alias_of(field.storage), sorted(names))
    return found


def walk(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in a storage, sorted; a local folder not created yet is empty."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(folders):
        yield from walk(storage, f"{folder}/{name}" if folder else name)


def _copy_and_hash(source, target: Path | None) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    out = None
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        out = target.open("wb")
    try:
        while chunk := source.read(CHUNK):
            digest.update(chunk)  # set-based: not a write (a hash's update)
            size += len(chunk)
            if out:
                out.write(chunk)
    finally:
        if out:
            out.close()
    return size, digest.hexdigest()


def file_summary(alias: str, copy_to: Path | None = None) -> dict:
    """Count, total bytes and SHA-256 of every file of one storage, copied on the way when asked."""
    storage = storages[alias]
    hashes, total = {}, 0
    for name in walk(storage):
        with storage.open(name, "rb") as source:
            size, hashes[name] = _copy_and_hash(source, copy_to / name if copy_to else None)
        total += size
    return {"count": len(hashes), "bytes": total, "sha256": hashes}


def reference_summary(references: dict, files: dict) -> dict:
    """Per file field: how many rows point to a file, and how many of those files are absent."""
    summary = {}
    for key, (alias, names) in references.items():
        present = files.get(alias, {}).get("sha256", {})
        summary[key] = {"rows": len(names), "missing": sum(1 for name in names if name not in present)}
    return summary


def _pg_environment() -> dict[str, str]:
    """libpq's variables for the app's own database, so pg_dump connects exactly as Django does."""
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    pairs = {
        "PGDATABASE": db.get("NAME"),
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGSSLMODE": db.get("OPTIONS", {}).get("sslmode"),
    }
    env.update({key: str(value) for key, value in pairs.items() if value})  # set-based: not a write (a dict's update)
    return env


def _dump_in_snapshot(path: Path) -> tuple[dict[str, int], dict]:
    """pg_dump and our own counts from one snapshot: exported by this transaction, which stays
    open (REPEATABLE READ) while pg_dump reads it."""
    if connection.vendor != "postgresql":
        raise BackupError(f"backups need PostgreSQL (DATABASE_URL); this database is {connection.vendor}")
    with transaction.atomic():
        with connection.cursor() as cursor:
            # set-based: not a write (a read-only snapshot)
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")  # set-based: not a write (a SELECT)
            snapshot = cursor.fetchone()[0]
        command = ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={path}"]
        # A fixed program and arguments made here; only the path is the operator's.
        result = subprocess.run(command, env=_pg_environment(), capture_output=True, text=True)  # noqa: S603
        if result.returncode:
            raise BackupError(f"pg_dump failed ({result.returncode}): {result.stderr.strip()}")
        return row_counts(), referenced_files()


def _sha256_of(path: Path) -> str:
    with path.open("rb") as source:
        return _copy_and_hash(source, None)[1]


def write_backup(folder: Path) -> dict:
    """Dump the database and copy the private files into `folder` (which must be empty), then
    write the manifest and a SHA256SUMS list that `sha256sum -c` reads. Files are copied after
    the dump, so every file a dumped row points to is there (unless deleted meanwhile, which
    the manifest's `references` counts)."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty")
    dump = folder / DUMP_NAME
    rows, references = _dump_in_snapshot(dump)
    files = {alias: file_summary(alias, copy_to=folder / FILES_DIR / alias) for alias in STORAGE_ALIASES}
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": {"dump": DUMP_NAME, "bytes": dump.stat().st_size, "sha256": _sha256_of(dump)},
        "rows": rows,
        "references": reference_summary(references, files),
        "files": files,
    }
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    lines = [f"{manifest['database']['sha256']}  {DUMP_NAME}"]
    for alias, summary in files.items():
        lines += [f"{digest}  {FILES_DIR}/{alias}/{name}" for name, digest in summary["sha256"].items()]
    (folder / SUMS_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def current_state() -> dict:
    """The same figures as a manifest, read from this database and these storages in place."""
    files = {alias: file_summary(alias) for alias in STORAGE_ALIASES}
    return {"rows": row_counts(), "references": reference_summary(referenced_files(), files), "files": files}


def compare(manifest: dict, state: dict) -> list[Row]:
    """Every figure of the manifest beside the restored copy's: row counts per table, rows
    pointing to absent files, and per storage the file count, bytes and each file's hash."""
    checks = []
    for label in sorted(set(manifest["rows"]) | set(state["rows"])):
        checks.append(Row(label, manifest["rows"].get(label), state["rows"].get(label)))
    for key in sorted(set(manifest["references"]) | set(state["references"])):
        expected = manifest["references"].get(key, {})
        found = state["references"].get(key, {})
        checks.append(Row(f"{key}: missing files", expected.get("missing"), found.get("missing")))
    for alias in sorted(set(manifest["files"]) | set(state["files"])):
        expected = manifest["files"].get(alias, {"count": 0, "bytes": 0, "sha256": {}})
        found = state["files"].get(alias, {"count": 0, "bytes": 0, "sha256": {}})
        checks.append(Row(f"files[{alias}]: count", expected["count"], found["count"]))
        checks.append(Row(f"files[{alias}]: bytes", expected["bytes"], found["bytes"]))
        differing = sorted(
            name
            for name in set(expected["sha256"]) | set(found["sha256"])
            if expected["sha256"].get(name) != found["sha256"].get(name)
        )
        checks.append(Row(f"files[{alias}]: sha256 differ", 0, len(differing)))
        checks += [
            Row(f"  {alias}/{name}", expected["sha256"].get(name), found["sha256"].get(name)) for name in differing
        ]
    return checks
