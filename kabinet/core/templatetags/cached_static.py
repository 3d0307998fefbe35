"""`{% static %}` with the files' URLs kept per process: a builtin of the template engine
(settings.TEMPLATES), used by the templates that no longer `{% load static %}` (which would put
Django's tag back). A URL depends on the path and the static settings only — a manifest
storage reads its manifest once at start too — so a changed setting clears the cache.

This assumes a storage whose URLs are stable and unsigned: StaticFilesStorage, which
settings.STORAGES names for static files (a manifest storage too). A storage that signs its
URLs with an expiry (S3 with querystring auth) would have its links kept here past it."""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import StaticNode

register = template.Library()


@lru_cache(maxsize=1024)
def _static_url(path: str) -> str:
    return StaticNode.handle_simple(path)


@receiver(setting_changed)
def _static_changed(setting: str, **kwargs) -> None:
    if setting in ("STATIC_URL", "STORAGES", "INSTALLED_APPS"):
        _static_url.cache_clear()


class CachedStaticNode(StaticNode):
    @classmethod
    def handle_simple(cls, path: str) -> str:
        return _static_url(path)


@register.tag
def static(parser: template.base.Parser, token: template.base.Token) -> CachedStaticNode:
    return CachedStaticNode.handle_token(parser, token)
