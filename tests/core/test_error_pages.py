"""Error pages in Russian, each saying what happened and what to do next, with the contact
centre's phone: Django's own say «Bad Request (400)» in English. Tests run with DEBUG off."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver, reverse
from django.views.defaults import permission_denied
import pytest

from kabinet.billing.registry import FALLBACK_CONTACT_PHONE
from tests.factories import PDF, customer_login

NEW = reverse("portal:appeal_new")


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


def assert_russian_400(response) -> None:
    assert response.status_code == 400
    text = page(response)
    assert "Не удалось принять запрос" in text and "Bad Request" not in text
    assert "не больше 5 файлов, каждый не больше 10 МБ" in text
    assert "контактный центр" in text and FALLBACK_CONTACT_PHONE in text


def test_eleven_files_get_the_russian_400_page(signed_in, account):
    files = [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(11)]  # over DATA_UPLOAD_MAX_NUMBER_FILES
    assert_russian_400(signed_in.post(NEW, {"account": account.pk, "files": files}))


def test_a_body_over_the_bound_gets_the_russian_400_page(signed_in, account, settings):
    settings.KABINET_UPLOAD_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("скан.pdf", PDF + b"0" * (1024 * 1024))
    assert_russian_400(signed_in.post(NEW, {"account": account.pk, "files": [big]}))


def test_the_400_page_also_comes_from_the_csrf_check(customer, account):
    """In production the CSRF middleware reads the body first, so the refusal happens there."""
    client = Client(enforce_csrf_checks=True)
    customer_login(client, customer)
    client.get(NEW)  # the form's CSRF cookie, whose value the form would send back
    token = client.cookies["csrftoken"].value
    files = [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(11)]
    assert_russian_400(client.post(NEW, {"csrfmiddlewaretoken": token, "account": account.pk, "files": files}))


def test_the_limits_on_the_400_page_follow_the_settings(signed_in, account, settings):
    settings.KABINET_APPEAL_MAX_FILES, settings.KABINET_APPEAL_MAX_FILE_MB = 1, 3
    files = [SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(11)]
    response = signed_in.post(NEW, {"account": account.pk, "files": files})
    assert "не больше 1 файла, каждый не больше 3 МБ" in page(response)


@pytest.mark.django_db
def test_a_stale_form_says_to_reload():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("portal:login"), {"identifier": "+79120000001", "password": "x"})
    assert response.status_code == 403
    text = page(response)
    assert "Страница устарела" in text and "открыта слишком долго" in text and "обновите" in text
    assert "CSRF" not in text and FALLBACK_CONTACT_PHONE in text


@pytest.mark.django_db
def test_an_unknown_address_gets_the_russian_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = page(response)
    assert "Страница не найдена" in text and "Not Found" not in text and FALLBACK_CONTACT_PHONE in text


@pytest.mark.django_db
def test_a_refused_page_gets_the_russian_403_page(rf):
    request = rf.get("/")
    request.user = AnonymousUser()  # as the middleware leaves it: no page raises this yet
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "Доступ закрыт" in page(response) and FALLBACK_CONTACT_PHONE in page(response)


def test_the_500_page_needs_neither_the_database_nor_a_request(rf):
    """No django_db mark: any query here would fail the test (pytest-django blocks it)."""
    handler = get_resolver().resolve_error_handler(500)
    response = handler(rf.get("/"))
    assert response.status_code == 500
    text = page(response)
    assert "Ошибка на сервере" in text and "обновите страницу" in text
    assert f'href="tel:{FALLBACK_CONTACT_PHONE.replace("-", "")}"' in text and FALLBACK_CONTACT_PHONE in text
