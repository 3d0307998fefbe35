"""Private file storage for appeal attachments and for documents the portal makes itself
(bills, e-mail attachments): the `attachments` storage of STORAGES (a private folder by
default, never under a URL the web server serves), resolved when a file is read or written,
so settings and tests can point it elsewhere."""

import uuid

from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse
from django.utils import timezone
from django.utils.functional import LazyObject, empty


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


def private_download(file: File, filename: str, content_type: str) -> FileResponse:
    """A private file sent back: always a download under the given (safe) name, with the type
    we determined, never kept by a shared cache."""
    response = FileResponse(file.open("rb"), as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
