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

from kabinet.api import read_cache


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


def _kept(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Around the operation (authentication included): keep a fresh 200 for the next reads."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = run(request, *args, **kwargs)
        fresh = not getattr(response, "from_read_cache", False)
        if fresh and request.method == "GET" and response.status_code == 200 and not response.streaming:
            set_response_etag(response)
            read_cache.keep(request, response)
        return conditional(request, response)

    return wrapper


def _serve_kept(view: Callable) -> Callable:
    """Around the view, after authentication: the kept answer, if any, instead of the view."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if (entry := read_cache.cached(request)) is None:
            return view(request, *args, **kwargs)
        response = HttpResponse(entry.body, content_type=entry.content_type)
        response["ETag"] = entry.etag
        response.from_read_cache = True
        return response

    return wrapper


def cached_etag(view: Callable) -> Callable:
    """`etag`, and the rendered answer kept for polling clients (read_cache says what may lag
    and how long)."""
    return decorate_view(_kept)(_serve_kept(view))
