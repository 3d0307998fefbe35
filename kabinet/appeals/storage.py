"""Where attachments live: the `attachments` storage of STORAGES (a private folder by default,
never under a URL the web server serves) under random names that say nothing."""

import uuid

from django.core.files.storage import Storage, storages
from django.utils import timezone


def attachment_storage() -> Storage:
    return storages["attachments"]


def random_name(instance, filename: str) -> str:
    """The user's file name is never part of the path: only a date and a random id."""
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
