"""Error pages that Django's own handlers cannot fill: the 400 page names the file limits (an
appeal with too many or too big files is the usual cause), and the 500 page gets its phone
without the database or the context processors, either of which may be what failed.

A request may be refused before AuthenticationMiddleware gave it a user: a Host outside
ALLOWED_HOSTS (DisallowedHost, CommonMiddleware), or any refusal in a middleware before it.
The context processors of the 400, 403 and 404 pages ask request.user (is this a customer's
session?), so such a request is given the anonymous user it would have had: without it the
page itself failed and the client got a 500."""

import re

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseServerError
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

from kabinet.appeals.files import limits_text
from kabinet.billing.registry import FALLBACK_CONTACT_PHONE


def _with_user(request: HttpRequest) -> HttpRequest:
    if not hasattr(request, "user"):
        request.user = AnonymousUser()
    return request


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBadRequest:
    body = loader.render_to_string("400.html", {"files_limit": limits_text()}, _with_user(request))
    return HttpResponseBadRequest(body)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return defaults.permission_denied(_with_user(request), exception)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return defaults.page_not_found(_with_user(request), exception)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponseServerError:
    phone = FALLBACK_CONTACT_PHONE
    context = {"contact_phone": phone, "contact_phone_tel": re.sub(r"[^\d+]", "", phone)}
    return HttpResponseServerError(loader.render_to_string("500.html", context))
