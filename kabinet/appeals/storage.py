"""Where attachments live: the project's private storage (`core.storage`, the `attachments`
entry of STORAGES, never under a URL the web server serves) under random names that say
nothing. The names below are what the appeal models' migrations refer to."""

import uuid

from django.core.files.storage import Storage
from django.utils import timezone

from kabinet.core.storage import private_storage


def attachment_storage() -> Storage:
    return private_storage()


def random_name(instance, filename: str) -> str:
    """The user's file name is never part of the path: only a date and a random id."""
    return f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
