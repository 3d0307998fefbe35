"""Private file storage for appeal attachments and for documents the portal makes itself
(bills, e-mail attachments): the `attachments` storage of STORAGES (a private folder by
default, a private S3 bucket shared by every app server when KABINET_S3_BUCKET is set; never
under a URL the web server serves), resolved when a file is read or written, so settings and
tests can point it elsewhere. Code reaches files only through the storage API (open, save,
exists, delete), never by path: an S3 object has none."""

from collections.abc import Iterator
from io import BytesIO
import uuid

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.http import content_disposition_header


class _PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages["attachments"]


_storage = _PrivateStorage()


@receiver(setting_changed)
def _reset(setting, **kwargs):
    if setting == "STORAGES":
        _storage._wrapped = empty


def private_storage() -> Storage:
    return _storage


def dated_random_name(folder: str, suffix: str = "") -> str:
    """`folder/2026/11/<random hex><suffix>`: nothing of the customer in the path."""
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


def private_download(file: File, filename: str, content_type: str) -> HttpResponse:
    """A private file sent back, after the calling view has checked who may have it: always a
    download under the given (safe) name, with the type we determined, never kept by a shared
    cache. From S3 it is streamed through this process, or, with KABINET_S3_DOWNLOADS=redirect,
    handed over as a link signed for KABINET_S3_LINK_TTL seconds that carries the same headers."""
    if settings.KABINET_S3_BUCKET and settings.KABINET_S3_DOWNLOADS == "redirect":
        response = HttpResponseRedirect(signed_link(file, filename, content_type))
    elif hasattr(file.storage, "bucket"):  # S3
        response = _s3_stream(file, filename, content_type)
    else:
        response = FileResponse(file.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


def generated_download(content: bytes, filename: str, content_type: str) -> FileResponse:
    """A document made for this request (a complaint's PDF from its encrypted data), with
    private_download's headers; never stored, so there is nothing to sign or stream from S3."""
    response = FileResponse(BytesIO(content), as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


S3_CHUNK = 64 * 1024


def _s3_stream(file: File, filename: str, content_type: str) -> StreamingHttpResponse:
    """The object's body passed on chunk by chunk as S3 sends it. django-storages' S3File
    (behind FileResponse) downloads the whole object into a temporary file first, in memory up
    to max_memory_size: a few large downloads at once would fill a worker's memory or disk."""
    s3_file = file.storage.open(file.name, "rb")  # HEAD only: FileNotFoundError, the size
    body = s3_file.obj.get()["Body"]
    response = StreamingHttpResponse(_chunks(body), content_type=content_type)
    response["Content-Length"] = str(s3_file.obj.content_length)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _chunks(body) -> Iterator[bytes]:
    """Closes the S3 connection's stream when the response is closed, read to the end or not."""
    try:
        yield from body.iter_chunks(S3_CHUNK)
    finally:
        body.close()


def signed_link(file: File, filename: str, content_type: str) -> str:
    """The object's URL signed for KABINET_S3_LINK_TTL seconds; S3 answers it with our
    Content-Disposition (RFC 6266/5987, so Cyrillic names survive) and Content-Type."""
    return file.storage.url(
        file.name,
        parameters={
            "ResponseContentDisposition": content_disposition_header(True, filename),
            "ResponseContentType": content_type,
            "ResponseCacheControl": "private, no-store",
        },
        expire=settings.KABINET_S3_LINK_TTL,
    )
