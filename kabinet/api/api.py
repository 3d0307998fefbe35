"""The one NinjaAPI of Kabinet, mounted at /api/v1/ (docs/api.md). Each resource is a router
in routers/; every error leaves as a problem (problems.py)."""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from kabinet.api import problems
from kabinet.api.auth import token_auth
from kabinet.api.multipart import Parser
from kabinet.api.openapi import KabinetAPI
from kabinet.api.routers import accounts, appeals, auth, bills, payments, profile, readings, tokens
from kabinet.api.validation import field_errors
from kabinet.appeals.files import limits_text

logger = logging.getLogger("kabinet.api")


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}  # «Анна», not its \u escapes: shorter, readable


api = KabinetAPI(
    title="Kabinet API",
    version="1",
    description="Личный кабинет клиента: API для мобильных приложений и домашней автоматизации. См. docs/api.md.",
    urls_namespace="api",
    auth=token_auth,
    renderer=Renderer(),
    parser=Parser(),
)


@api.exception_handler(problems.ApiProblem)
def _problem(request: HttpRequest, exc: problems.ApiProblem) -> HttpResponse:
    return problems.from_exception(exc)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problems.response(422, errors=field_errors(exc.errors))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problems.response(401)
    response["WWW-Authenticate"] = 'Bearer realm="kabinet"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problems.response(exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problems.response(404)


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """What Django itself answers 400 to — above all a body over the upload bounds (too many
    files, too many bytes), met only when a view reads the files: the client's error, not ours."""
    if isinstance(exc, TooManyFilesSent | RequestDataTooBig):
        return problems.response(400, f"Запрос слишком большой: файлов можно приложить {limits_text()}.")
    return problems.response(400)


@api.exception_handler(Exception)
def _crash(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error at %s %s", request.method, request.path, exc_info=exc)
    return problems.response(500)


api.add_router("/auth", auth.router)
api.add_router("/profile", profile.router)
api.add_router("/tokens", tokens.router)
api.add_router("/accounts", accounts.router)
api.add_router("/accounts", bills.router)
api.add_router("", readings.router)
api.add_router("", payments.router)
api.add_router("", appeals.router)
