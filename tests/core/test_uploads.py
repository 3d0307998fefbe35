"""Django refuses absurd requests with files before they reach a view (issue 11, point 7):
more files than DATA_UPLOAD_MAX_NUMBER_FILES, or a body over KABINET_UPLOAD_MAX_BYTES. The
bounds sit above the appeal forms' own limits, so anything a person could send by mistake
gets the forms' message at the field instead."""

from pathlib import Path

from django.conf import settings as project
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
import pytest

from kabinet.appeals.files import limits
from kabinet.appeals.models import Upload
from tests.factories import PDF, customer_login

NEW = reverse("portal:appeal_new")


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


def stored_files(settings) -> list[Path]:
    root = Path(settings.STORAGES["attachments"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_bounds_are_above_the_forms_limits():
    assert limits().files < project.DATA_UPLOAD_MAX_NUMBER_FILES < 100  # Django's default was 100
    assert limits().total_bytes < project.KABINET_UPLOAD_MAX_BYTES
    assert project.FILE_UPLOAD_HANDLERS[0] == "kabinet.core.uploads.RequestSizeLimit"


def test_a_hundred_files_are_refused_before_any_view(signed_in, account, reason, settings):
    files = [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(100)]
    response = signed_in.post(NEW, {"account": account.pk, "text": "Текст", "files": files})
    assert response.status_code == 400
    assert stored_files(settings) == [] and not Upload.objects.exists()


def test_a_body_over_the_bound_is_refused_before_it_is_read(signed_in, account, settings):
    settings.KABINET_UPLOAD_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("скан.pdf", PDF + b"0" * (1024 * 1024))
    response = signed_in.post(NEW, {"account": account.pk, "text": "Текст", "files": [big]})
    assert response.status_code == 400
    assert stored_files(settings) == [] and not Upload.objects.exists()


def test_a_body_within_the_bound_goes_through(signed_in, account, settings):
    settings.KABINET_UPLOAD_MAX_BYTES = 1024 * 1024
    small = SimpleUploadedFile("скан.pdf", PDF)
    response = signed_in.post(NEW, {"account": account.pk, "files": [small]})
    assert response.status_code == 400  # the form's own errors (no topic, no text) …
    assert Upload.objects.get().name == "скан.pdf"  # … and the file kept for the next try
