"""Where exchange files wait: the drop folder, and S3-compatible storage when a bucket is set
(docs/exchange.md «Папка обмена»). Both have the same layout:

    in/               files billing dropped (only `*.csv`; `*.part` and hidden names are ignored)
    in/processing/    a file being imported (claimed by renaming it here)
    in/done/, in/rejected/, in/failed/   where a file goes afterwards, by its journal entry

A store lists the waiting files, claims one (a move into processing/), opens it as a seekable
binary file, and moves it on. Exports are written to the out folder and, with S3, uploaded to
the out prefix and moved to out/sent/.
"""

from collections.abc import Iterator
import contextlib
import logging
import os
from pathlib import Path
import tempfile
from typing import BinaryIO, Protocol

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

PROCESSING = "processing"
OUTCOMES = ("done", "rejected", "failed")
SENT = "sent"  # out/sent/: export files uploaded to S3


def is_candidate(name: str) -> bool:
    """A finished file: `.csv`, not hidden; writers use `name.csv.part` and rename when done."""
    return name.lower().endswith(".csv") and not name.startswith(".")


def free_name(name: str, taken) -> str:
    """`name`, or `stem-2.csv`, `stem-3.csv`… when a file of that name is already there."""
    stem, dot, suffix = name.rpartition(".")
    candidate, number = name, 1
    while taken(candidate):
        number += 1
        candidate = f"{stem}-{number}{dot}{suffix}" if dot else f"{name}-{number}"
    return candidate


class Store(Protocol):
    title: str  # the journal's «откуда запущено»

    def waiting(self) -> list[str]: ...
    def claim(self, name: str) -> bool: ...
    def claimed(self) -> list[str]: ...
    def refusal(self, name: str) -> str | None: ...
    def opened(self, name: str) -> contextlib.AbstractContextManager[BinaryIO]: ...
    def settle(self, name: str, outcome: str) -> str: ...


class FolderStore:
    title = "папка обмена"

    def __init__(self, root: Path, settle_seconds: int = 0):
        self.root, self.settle_seconds = Path(root), settle_seconds

    def prepare(self) -> None:
        for sub in (PROCESSING, *OUTCOMES):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def waiting(self) -> list[str]:
        """Finished files not changed for settle_seconds."""
        quiet_since = timezone.now().timestamp() - self.settle_seconds
        names = []
        for entry in os.scandir(self.root):
            # A symlink is listed (never followed: its own mtime) so that it is refused with a
            # journal entry rather than left there unexplained.
            if (
                _file_or_link(entry)
                and is_candidate(entry.name)
                and entry.stat(follow_symlinks=False).st_mtime <= quiet_since
            ):
                names.append(entry.name)
        return names

    def claim(self, name: str) -> bool:
        """Move the file into processing/; False when another worker took it first (rename is
        atomic: exactly one of two renames of the same file succeeds)."""
        try:
            os.rename(self.root / name, self.root / PROCESSING / name)
        except FileNotFoundError:
            return False
        return True

    def claimed(self) -> list[str]:
        return sorted(entry.name for entry in os.scandir(self.root / PROCESSING) if _file_or_link(entry))

    def refusal(self, name: str) -> str | None:
        """Why a claimed file is not imported at all, or None. A symlink could point at any file
        of the host (/etc/…): Kabinet would load it and show its lines in the journal."""
        if (self.root / PROCESSING / name).is_symlink():
            return (
                "Файл не загружен: это символическая ссылка, а не файл. Ссылки не загружаются "
                "(через них можно прочитать любой файл сервера): положите в папку сам файл."
            )
        return None

    @contextlib.contextmanager
    def opened(self, name: str) -> Iterator[BinaryIO]:
        # O_NOFOLLOW: a symlink put in place after the check above is not followed either.
        descriptor = os.open(self.root / PROCESSING / name, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(descriptor, "rb") as binary:
            yield binary

    def settle(self, name: str, outcome: str) -> str:
        """Move a claimed file to done/, rejected/ or failed/; where it went."""
        folder = self.root / outcome
        target = folder / free_name(name, lambda candidate: (folder / candidate).exists())
        os.rename(self.root / PROCESSING / name, target)
        return str(target)


class S3Store:
    """The same layout under a bucket's in prefix. A move is a copy and a delete (S3 has no
    rename), so two pickups must not run at once: locks.pickup_lock sees to that."""

    title = "хранилище S3"

    def __init__(self, client, bucket: str, in_prefix: str, out_prefix: str):
        self.client, self.bucket = client, bucket
        self.in_prefix, self.out_prefix = _folder(in_prefix), _folder(out_prefix)

    def prepare(self) -> None:
        pass  # prefixes need not exist

    def _names(self, prefix: str) -> list[str]:
        names = []
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/")
        for page in pages:
            names += [item["Key"][len(prefix) :] for item in page.get("Contents", [])]
        return names

    def waiting(self) -> list[str]:
        """An object appears whole when its upload completes: no settle time is needed."""
        return [name for name in self._names(self.in_prefix) if is_candidate(name)]

    def _move(self, source: str, target: str) -> None:
        # set-based: not shown (an import file moved in S3)
        self.client.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target)
        self.client.delete_object(Bucket=self.bucket, Key=source)

    def claim(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._move(self.in_prefix + name, f"{self.in_prefix}{PROCESSING}/{name}")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}:
                return False
            raise
        return True

    def claimed(self) -> list[str]:
        return sorted(self._names(f"{self.in_prefix}{PROCESSING}/"))

    def refusal(self, name: str) -> str | None:
        return None  # an object is never a link

    @contextlib.contextmanager
    def opened(self, name: str) -> Iterator[BinaryIO]:
        """The object downloaded to a temporary file (the runner reads a file twice)."""
        with tempfile.TemporaryFile() as binary:
            self.client.download_fileobj(self.bucket, f"{self.in_prefix}{PROCESSING}/{name}", binary)
            binary.seek(0)
            yield binary

    def settle(self, name: str, outcome: str) -> str:
        prefix = f"{self.in_prefix}{outcome}/"
        taken = set(self._names(prefix))
        target = prefix + free_name(name, taken.__contains__)
        self._move(f"{self.in_prefix}{PROCESSING}/{name}", target)
        return f"s3://{self.bucket}/{target}"

    def upload_new(self, folder: Path) -> list[str]:
        """Upload the export files of `folder` and move each to `folder/sent/` once uploaded:
        what was sent is recorded here, not read from the bucket, so a file billing deleted
        after reading it is not sent again; a failed upload stays and is retried next run."""
        sent_dir = folder / SENT
        sent = []
        for path in sorted(folder.glob("*.csv")):
            self.client.upload_file(str(path), self.bucket, self.out_prefix + path.name)
            sent_dir.mkdir(exist_ok=True)
            os.replace(path, sent_dir / path.name)
            sent.append(path.name)
        return sent


def _file_or_link(entry: os.DirEntry) -> bool:
    return entry.is_file(follow_symlinks=False) or entry.is_symlink()


def _folder(prefix: str) -> str:
    return prefix if not prefix or prefix.endswith("/") else prefix + "/"


def s3_store() -> S3Store | None:
    """The S3 store of the settings, or None when no bucket is set."""
    if not settings.KABINET_EXCHANGE_S3_BUCKET:
        return None
    import boto3  # only deployments with a bucket need it loaded

    client = boto3.client(
        "s3",
        endpoint_url=settings.KABINET_EXCHANGE_S3_ENDPOINT_URL,
        region_name=settings.KABINET_EXCHANGE_S3_REGION,
        aws_access_key_id=settings.KABINET_EXCHANGE_S3_ACCESS_KEY_ID or None,
        aws_secret_access_key=settings.KABINET_EXCHANGE_S3_SECRET_ACCESS_KEY or None,
    )
    return S3Store(
        client,
        settings.KABINET_EXCHANGE_S3_BUCKET,
        settings.KABINET_EXCHANGE_S3_IN_PREFIX,
        settings.KABINET_EXCHANGE_S3_OUT_PREFIX,
    )


def upload_exports() -> list[str] | None:
    """With S3 set up, upload what the out folder has not sent yet (the nightly task and the
    export commands both); the names sent, or None without a bucket."""
    store = s3_store()
    if store is None:
        return None
    return store.upload_new(Path(settings.KABINET_EXCHANGE_OUT_DIR))


def configured_stores() -> list[FolderStore | S3Store]:
    folder = FolderStore(settings.KABINET_EXCHANGE_IN_DIR, settings.KABINET_EXCHANGE_SETTLE_SECONDS)
    s3 = s3_store()
    return [folder] if s3 is None else [folder, s3]
