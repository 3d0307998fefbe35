"""Responses meant for one person are never kept by a browser's or a proxy's cache."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


def _personal(request: HttpRequest, response: HttpResponse) -> bool:
    """A request in a session (logged in, or half-way through registration or recovery), a view
    that read or wrote the session, or a response that sets a cookie (CSRF, messages)."""
    session = getattr(request, "session", None)
    return bool(
        settings.SESSION_COOKIE_NAME in request.COOKIES
        or (session is not None and (session.accessed or session.modified))
        or response.cookies
    )


class NoStoreForSessionsMiddleware:
    """One rule for every personal page instead of a decorator on each view: balances,
    addresses and appeals must not come back from a cache after logout or on a shared
    computer. `no-store, private` is added to what the view set, so stricter directives of
    its own (never_cache's `max-age=0`) stay.

    Sits right after SessionMiddleware: it then sees every cookie the inner middleware set
    (CSRF, messages), and whether the view touched the session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _personal(request, response):
            patch_cache_control(response, no_store=True, private=True)
        return response
