"""What every response under /api/ has in common, whoever produced it:

- errors are problems (RFC 9457): a path Django does not know, a method ninja's path does not
  take, a crash — answered by Django in HTML otherwise;
- personal data, never kept by a browser or proxy cache (as every page: `no-store, private`,
  tests/core/test_no_store.py), `Vary: Authorization`; a client that keeps the last answer
  itself asks «changed?» with If-None-Match (api.caching);
- CORS, only for the origins in KABINET_API_CORS_ORIGINS (none by default: browsers then keep
  other sites' pages away from the API). Bearer tokens, not cookies, so no credentials mode.
"""

import logging

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from kabinet.api import problems

PREFIX = "/api/"
HANDLED_BY_DJANGO = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)
logger = logging.getLogger("kabinet.api")

CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"  # set-based: not a write (an HTTP method's name)
CORS_HEADERS = "Authorization, Content-Type, If-None-Match"
CORS_EXPOSED = "ETag, Retry-After, Location"
CORS_MAX_AGE = "600"


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        origin = allowed_origin(request)
        if origin and request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            return preflight(origin)
        response = self.get_response(request)
        if response.status_code >= 400 and response.get("Content-Type", "") != problems.CONTENT_TYPE:
            response = as_problem(response)
        patch_vary_headers(response, ["Authorization"])
        response["Cache-Control"] = "no-store, private"
        if origin:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = CORS_EXPOSED
        if settings.KABINET_API_CORS_ORIGINS:
            patch_vary_headers(response, ["Origin"])
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(PREFIX) or isinstance(exception, HANDLED_BY_DJANGO):
            return None  # Django answers these with their status, which __call__ makes a problem
        logger.exception("API error at %s %s", request.method, request.path, exc_info=exception)
        return problems.response(500)


def allowed_origin(request: HttpRequest) -> str | None:
    origin = request.headers.get("Origin")
    return origin if origin and origin in settings.KABINET_API_CORS_ORIGINS else None


def preflight(origin: str) -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = CORS_METHODS
    response["Access-Control-Allow-Headers"] = CORS_HEADERS
    response["Access-Control-Max-Age"] = CORS_MAX_AGE
    patch_vary_headers(response, ["Origin"])
    return response


def as_problem(response: HttpResponse) -> HttpResponse:
    problem = problems.response(response.status_code)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if response.has_header(header):
            problem[header] = response[header]
    return problem
