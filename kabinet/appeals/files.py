"""Attachments: checked by their content, stored privately under random names, offered for
download under a safe name."""

from dataclasses import dataclass, field
from datetime import timedelta
import hashlib
from pathlib import PurePath
import re
import unicodedata

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils import timezone
import filetype

from kabinet.appeals.models import Upload
from kabinet.core.wording import plural_ru

# What the customer may attach, by the type found in the content (never by the name).
# The first extension is the one given to a file whose name has none of them.
ALLOWED = {"application/pdf": (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",)}
ALLOWED_TEXT = "PDF, JPEG или PNG"
# Control characters (C0, DEL, C1), the bidirectional marks and overrides that can make a name
# show a false extension («отчёт\u202efdp.png» reads as «отчётgnp.pdf»), and shell/path characters.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069<>:"/\\|?*]+')
_PK = re.compile(r"[0-9]{1,18}")  # a primary key as a form sends it: ASCII digits within bigint


class FileRejected(ValueError):
    """A file that cannot be attached; the message names the file and says why."""


@dataclass(frozen=True)
class Limits:
    """What one form may carry: `files` files (with those already attached), each at most
    `file_mb` MB, so at most `total_mb` together. The Django-level bounds in settings.py
    (DATA_UPLOAD_MAX_NUMBER_FILES, KABINET_UPLOAD_MAX_BYTES) are set above these."""

    files: int
    file_mb: int

    @property
    def file_bytes(self) -> int:
        return self.file_mb * 1024 * 1024

    @property
    def total_mb(self) -> int:
        return self.files * self.file_mb

    @property
    def total_bytes(self) -> int:
        return self.files * self.file_bytes


def limits() -> Limits:
    return Limits(files=settings.KABINET_APPEAL_MAX_FILES, file_mb=settings.KABINET_APPEAL_MAX_FILE_MB)


def pending_limits() -> Limits:
    """What one person may keep uploaded but not yet sent: twice a form's limits, room for a
    form and its retry, so a refused form resent again and again cannot fill the storage."""
    return Limits(files=2 * settings.KABINET_APPEAL_MAX_FILES, file_mb=settings.KABINET_APPEAL_MAX_FILE_MB)


def files_count(n: int) -> str:
    """«1 файла», «5 файлов»: the count after «до» or «не больше»."""
    return f"{n} {plural_ru(n, ('файла', 'файлов', 'файлов'))}"


def limits_text() -> str:
    """«не больше 5 файлов, каждый не больше 10 МБ», for help and the 400 page."""
    limit = limits()
    return f"не больше {files_count(limit.files)}, каждый не больше {limit.file_mb} МБ"


def safe_name(original: str, content_type: str) -> str:
    """A name to show and to offer for download: no path, no control or shell characters,
    at most 150 characters, and an extension that matches the content."""
    name = unicodedata.normalize("NFC", PurePath(original.replace("\\", "/")).name)
    name = _UNSAFE.sub("_", name).strip(" .") or "файл"
    suffix = PurePath(name).suffix
    if suffix.lower() in ALLOWED[content_type]:
        stem, extension = name[: -len(suffix)], suffix
    else:
        stem, extension = name, ALLOWED[content_type][0]
    return stem[: 150 - len(extension)] + extension


def sniff(uploaded: UploadedFile) -> str:
    uploaded.seek(0)
    head = uploaded.read(8192)
    uploaded.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED:
        raise FileRejected(f"Файл «{uploaded.name}» не подходит: можно прикладывать только {ALLOWED_TEXT}.")
    return kind.mime


def check_file(uploaded: UploadedFile) -> str:
    """The type found in one file's content, or FileRejected: empty, too large, not allowed."""
    if uploaded.size == 0:
        raise FileRejected(f"Файл «{uploaded.name}» пустой.")
    if uploaded.size > limits().file_bytes:
        raise FileRejected(
            f"Файл «{uploaded.name}» больше {limits().file_mb} МБ. "
            "Уменьшите его (например, отсканируйте с меньшим разрешением) или разделите на части."
        )
    return sniff(uploaded)


def refusals(files: list[UploadedFile]) -> list[str]:
    """Everything wrong with one submission's files, found without storing any of them: an
    all-or-nothing sender (the API) stores the files only when this is empty."""
    if refused := over_limits([], files):
        return [refused]
    found = []
    for uploaded in files:
        try:
            check_file(uploaded)
        except FileRejected as rejected:
            found.append(str(rejected))
    return found


def store_upload(owner, uploaded: UploadedFile) -> Upload:
    """Check one uploaded file and keep it as the owner's pending upload."""
    content_type = check_file(uploaded)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    upload = Upload(
        owner=owner,
        name=safe_name(uploaded.name or "файл", content_type),
        content_type=content_type,
        size=uploaded.size,
        sha256=digest.hexdigest(),
    )
    upload.file.save("upload", uploaded, save=False)
    upload.save()
    return upload


def own_uploads(owner, ids) -> list[Upload]:
    """Pending uploads by id, only the owner's: ids from a form are never trusted."""
    pks = [int(i) for i in map(str, ids) if _PK.fullmatch(i)]
    return list(Upload.objects.filter(owner=owner, pk__in=pks).order_by("pk"))


@dataclass
class Received:
    uploads: list[Upload] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def over_limits(kept: list[Upload], files: list[UploadedFile]) -> str | None:
    """Why the submission as a whole is refused (too many files, too many bytes, counting
    those already attached), or None. Asked before anything is stored."""
    limit = limits()
    count = len(kept) + len(files)
    if count > limit.files:
        if not files:
            return (
                f"Можно приложить не больше {files_count(limit.files)}, а отмечено {count}. Снимите отметку с лишних."
            )
        room = limit.files - len(kept)
        chosen = f"а с уже приложенными их {count}" if kept else f"а выбрано {count}"
        retry = f"выберите не больше {room}" if room > 0 else "снимите отметку с лишних уже приложенных"
        return f"Можно приложить не больше {files_count(limit.files)}, {chosen}. Новые файлы не сохранены: {retry}."
    if sum(u.size for u in kept) + sum(f.size or 0 for f in files) > limit.total_bytes:
        return (
            f"Файлы вместе больше {limit.total_mb} МБ. Новые файлы не сохранены: уменьшите их "
            "(например, отсканируйте с меньшим разрешением) или приложите меньше."
        )
    return None


# A form left unsent this long is taken as abandoned: its files may make room for new ones.
ABANDONED_AFTER = timedelta(minutes=30)


def _over_cap(pending: models.QuerySet, files: list[UploadedFile], cap: Limits) -> bool:
    totals = pending.aggregate(count=models.Count("pk"), size=models.Sum("size"))
    count = totals["count"] + len(files)
    size = (totals["size"] or 0) + sum(f.size or 0 for f in files)
    return count > cap.files or size > cap.total_bytes


def make_room(owner, kept: list[Upload], files: list[UploadedFile]) -> str | None:
    """Keep the owner's unsent uploads under the cap. Files of forms left unsent for
    ABANDONED_AFTER (the oldest first, never those this form keeps) are deleted to make room
    for new ones; a person who abandoned forms is not locked out. Returns why new files are
    refused when even that is not enough (forms resent again and again within minutes)."""
    cap = pending_limits()
    pending = Upload.objects.filter(owner=owner)
    if not _over_cap(pending, files, cap):
        return None
    abandoned = pending.exclude(pk__in=[u.pk for u in kept]).filter(created_at__lt=timezone.now() - ABANDONED_AFTER)
    for upload in abandoned.order_by("created_at"):
        upload.file.delete(save=False)
        upload.delete()
        if not _over_cap(pending, files, cap):
            return None
    return (
        "Новые файлы не сохранены: у вас уже загружены файлы для неотправленных форм, а всего их "
        f"можно хранить не больше {files_count(cap.files)} ({cap.total_mb} МБ). Снимите отметку "
        "«Уже приложены» с ненужных или отправьте форму без новых файлов; файлы брошенных форм "
        f"освобождают место через {int(ABANDONED_AFTER.total_seconds() // 60)} минут."
    )


def discard_uploads(owner, ids) -> None:
    """The owner's pending uploads that a form offered again and the person unticked: gone at
    once, file and row, rather than left for the daily purge."""
    for upload in own_uploads(owner, ids):
        upload.file.delete(save=False)
        upload.delete()


def receive_files(owner, kept_ids, files, offered_ids=()) -> Received:
    """The files of one form submission: the ones kept from an earlier try plus the new ones;
    those offered again (`offered_ids`) but not kept are deleted. Too many files or bytes in
    the form, or unsent uploads over the owner's cap: nothing new is stored (the kept ones
    stay). Otherwise good files are stored even when another is rejected, so nothing is sent
    twice."""
    kept = {str(i) for i in kept_ids}
    discard_uploads(owner, [i for i in offered_ids if str(i) not in kept])
    received = Received(uploads=own_uploads(owner, kept_ids))
    refused = over_limits(received.uploads, files)
    if files and not refused:
        refused = make_room(owner, received.uploads, files)
    if refused:
        received.errors.append(refused)
        return received
    for uploaded in files:
        try:
            received.uploads.append(store_upload(owner, uploaded))
        except FileRejected as rejected:
            received.errors.append(str(rejected))
    return received


def purge_stale_uploads(older_than: timedelta = timedelta(days=1)) -> int:
    """Uploads of forms never submitted: a day is long enough to come back to a form."""
    stale = Upload.objects.filter(created_at__lt=timezone.now() - older_than)
    count = 0
    for upload in stale.iterator():
        upload.file.delete(save=False)
        upload.delete()
        count += 1
    return count
