"""Issue 11 point 9: no page meant for one person is kept by a browser or proxy cache. The URL
list is walked from kabinet.urls, so a new page is covered without anyone remembering it."""

from hashlib import sha256
import uuid

from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.core.middleware import NoStoreForSessionsMiddleware
from kabinet.identity.models import PersonalAccessToken, User
from tests.factories import (
    PASSWORD,
    api_token,
    customer_login,
    make_complaint,
    make_meter,
    make_online_payment,
    staff_login,
)


def url_patterns() -> list[tuple[str, list[str]]]:
    """Every named URL with the names of its arguments; the admin's pages that take none."""
    found = []

    def walk(resolver, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                arguments = list(entry.pattern.regex.groupindex)
                if namespace != "admin" or not entry.pattern.regex.groups:
                    found.append((f"{namespace}:{entry.name}" if namespace else entry.name, arguments))

    walk(get_resolver(), "")
    return found


PATTERNS = url_patterns()


def arguments(customer, reason) -> dict:
    """URL keyword → an object of this customer's (so pages answer 200, not only 404)."""
    link = customer.account_links.get()
    # A complaint: an appeal whose pages also show its fields and offer its PDF (kabinet.appeals.complaints).
    appeal = make_complaint(customer, link.account, files=1)
    return {
        "pk": appeal.pk,
        "attachment_id": appeal.attachments.get().pk,
        "number": appeal.number,
        "link_id": link.pk,
        "account_id": link.account_id,
        "period": timezone.localdate().replace(day=1),
        "uidb64": "MQ",
        "token": "not-a-token",
        "score": 5,
        "public_id": (payment_id := make_online_payment(link.account, "100.00", user=customer).public_id),
        "payment_id": payment_id,
        "charge_id": uuid.uuid4(),
        "meter_id": make_meter(link.account).pk,
        "token_id": PersonalAccessToken.objects.get(token_hash=sha256(api_token(customer).encode()).hexdigest()).pk,
    }


def operator(region) -> User:
    user = User.objects.create_user(None, PASSWORD, email="operator@example.ru", first_name="Ирина")
    StaffRole.objects.create(user=user, role=StaffRole.Role.OPERATOR).regions.add(region)
    return user


def test_the_walk_finds_the_personal_pages():
    names = {name for name, _ in PATTERNS}
    assert {"portal:home", "portal:profile", "portal:bill", "backoffice:queue", "admin:index"} <= names
    assert len(names) > 50


@pytest.mark.parametrize("who", ["customer", "operator"])
def test_every_page_to_a_signed_in_user_is_no_store(client, customer, sverdlovsk, reason, who):
    values = arguments(customer, reason)
    user = customer if who == "customer" else operator(sverdlovsk)
    answered, cached = {}, []
    for name, kwargs in PATTERNS:
        # A page may log out (GET /logout/ is refused, but still); the back office admits only
        # sessions opened at its own door.
        staff_login(client, user) if who == "operator" else customer_login(client, user)
        response = client.get(reverse(name, kwargs={key: values[key] for key in kwargs}))
        answered[name] = response.status_code
        assert response.status_code < 500, name
        directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
        if not {"no-store", "private"} <= directives:
            cached.append(f"{name} {response.status_code} {response.get('Cache-Control')!r}")
    assert cached == []
    # The walk reached real pages, not only redirects and refusals.
    mine = ["portal:home", "portal:profile", "portal:appeal"] if who == "customer" else ["backoffice:queue"]
    assert all(answered[name] == 200 for name in mine), answered


def test_every_page_to_a_stranger_is_no_store_too(client, customer, reason):
    """Without the views' own never_cache: the login, registration and recovery pages carry a
    CSRF token and read the session, so the rule covers them. A 405 (a POST-only URL) says
    nothing and is left alone."""
    values = arguments(customer, reason)
    cached = []
    for name, kwargs in PATTERNS:
        client.cookies.clear()
        response = client.get(reverse(name, kwargs={key: values[key] for key in kwargs}))
        if response.status_code != 405 and "no-store" not in response.get("Cache-Control", ""):
            cached.append(f"{name} {response.status_code} {response.get('Cache-Control')!r}")
    assert cached == []


def test_an_anonymous_page_in_a_session_is_no_store(client, db):
    """Registration and recovery keep the pending code in an anonymous session."""
    session = client.session
    session["pending"] = "x"
    session.save()
    response = client.get(reverse("portal:landing"))
    assert "no-store" in response["Cache-Control"]


def run(request, view) -> HttpResponse:
    return NoStoreForSessionsMiddleware(view)(request)


def test_a_response_without_session_or_cookie_is_left_alone():
    request = RequestFactory().get("/healthz")
    assert not run(request, lambda request: HttpResponse("ok")).has_header("Cache-Control")


def test_a_response_that_sets_a_cookie_is_no_store():
    def view(request):
        response = HttpResponse("ok")
        response.set_cookie("csrftoken", "x")
        return response

    assert run(RequestFactory().get("/"), view)["Cache-Control"] == "no-store, private"


def test_stricter_directives_of_the_view_stay():
    request = RequestFactory().get("/", HTTP_COOKIE="sessionid=abc")
    directives = set(run(request, never_cache(lambda request: HttpResponse("ok")))["Cache-Control"].split(", "))
    assert {"no-store", "private", "no-cache", "must-revalidate", "max-age=0"} <= directives
