"""Conditional reads: an ETag from the response body, and 304 Not Modified when the client's
If-None-Match names it. A home-automation poller then costs the server its query and the
network nothing.

    @router.get("/accounts", response=...)
    @etag
    def accounts(request): ...
"""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, set_response_etag
from ninja.decorators import decorate_view


def conditional(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming:
        return response
    if not response.has_header("ETag"):
        set_response_etag(response)
    return get_conditional_response(request, etag=response["ETag"], response=response)


def _conditional(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(run)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return conditional(request, run(request, *args, **kwargs))

    return wrapper


etag = decorate_view(_conditional)
