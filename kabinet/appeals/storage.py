"""Where attachments live: the `attachments` storage of STORAGES (a private folder by default,
never under a URL the web server serves) under random names that say nothing."""

import uuid

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty


class _AttachmentStorage(LazyObject):
    """A FileField evaluates its storage once, at import; this stands in for whatever
    STORAGES["attachments"] is when a file is actually read or written."""

    def _setup(self):
        self._wrapped = storages["attachments"]


_storage = _AttachmentStorage()


@receiver(setting_changed)
def _reset(setting, **kwargs):
    if setting == "STORAGES":
        _storage._wrapped = empty


def attachment_storage() -> Storage:
    return _storage


def random_name(instance, filename: str) -> str:
    """The user's file name is never part of the path: only a date and a random id."""
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
