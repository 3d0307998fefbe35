"""Error pages that Django's own handlers cannot fill: the 400 page names the file limits (an
appeal with too many or too big files is the usual cause), and the 500 page gets its phone
without the database or the context processors, either of which may be what failed."""

import re

from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

from kabinet.appeals.files import limits_text
from kabinet.billing.registry import FALLBACK_CONTACT_PHONE


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBadRequest:
    body = loader.render_to_string("400.html", {"files_limit": limits_text()}, request)
    return HttpResponseBadRequest(body)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponseServerError:
    phone = FALLBACK_CONTACT_PHONE
    context = {"contact_phone": phone, "contact_phone_tel": re.sub(r"[^\d+]", "", phone)}
    return HttpResponseServerError(loader.render_to_string("500.html", context))
