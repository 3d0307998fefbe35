"""Error pages in Russian, each saying what happened and what to do next, with the contact
centre's phone: Django's own say «Bad Request (400)» in English. Tests run with DEBUG off."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
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


@pytest.mark.django_db
def test_a_foreign_host_gets_the_russian_400_page_not_a_500(settings):
    """DisallowedHost is raised by CommonMiddleware, before AuthenticationMiddleware gave the
    request its user: the 400 page must render without one (a scanner's request, every day)."""
    settings.DEBUG = False
    client = Client(HTTP_HOST="evil.example", raise_request_exception=False)
    response = client.get("/login/")
    assert response.status_code == 400
    assert "Не удалось принять запрос" in page(response) and FALLBACK_CONTACT_PHONE in page(response)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [400, 403, 404])
def test_the_error_pages_render_for_a_request_no_middleware_has_seen(rf, status):
    """Any middleware before AuthenticationMiddleware may refuse a request (a host, a
    permission, a path): its error page must not need request.user."""
    handler = get_resolver().resolve_error_handler(status)
    exception = {400: SuspiciousOperation, 403: PermissionDenied, 404: Http404}[status]()
    request = rf.get("/")
    assert not hasattr(request, "user")
    response = handler(request, exception)
    assert response.status_code == status
    assert FALLBACK_CONTACT_PHONE in page(response)
