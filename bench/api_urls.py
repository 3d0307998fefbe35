"""Kabinet's URLs plus the bench's baseline: a bare Django view returning a small JSON, through
the same server, middleware and settings as the API (no token, no database, no template)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from kabinet.urls import urlpatterns as kabinet_urlpatterns


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True, "path": request.path})


urlpatterns = [path("bench/bare", bare), *kabinet_urlpatterns]
