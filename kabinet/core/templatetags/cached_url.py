"""`{% url %}` with the reversed URLs kept per process: a builtin of the template engine
(settings.TEMPLATES), so it replaces Django's tag in every template without a {% load %}.

Reversing was a third of a page's rendering time (docs/performance.md, «4. Rendering»): the
home page reverses about twenty URLs, each walking the URL patterns, and most of them are the
same on every page (the layout's links). A URL depends only on its name and arguments, the
namespace of the current app, the URLconf, the script prefix and the language, so all of them
are the key; an LRU bound keeps a worker's memory fixed whatever accounts it serves.
"""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=4096)
def _reverse(view_name, typed_args, typed_kwargs, current_app, urlconf, prefix, language) -> str:
    # prefix and language are only the key: reverse() reads them itself.
    args = [arg for _, arg in typed_args]
    kwargs = {name: value for name, _, value in typed_kwargs}
    return reverse(view_name, urlconf=urlconf, args=args, kwargs=kwargs, current_app=current_app)


def reversing_with() -> tuple:
    """What a URL depends on beyond its name, arguments and current app: the URLconf, the script
    prefix and the language (context-locals, each reverse() reads). Whatever keeps a reversed
    URL, or text holding one, keys it by these too ({% once %}, portal.fragments)."""
    return (get_urlconf(), get_script_prefix(), get_language())


def cached_reverse(
    view_name: str, args: tuple, kwargs: dict, current_app: str | None, reversing: tuple | None = None
) -> str:
    """`reverse()` kept per process. `reversing`: `reversing_with()` read once by a caller that
    reverses many URLs in one render (its three context-local look-ups cost more than the cache's)."""
    # Typed: True == 1 == 1.0 hash alike, but a converter turns them into different text.
    key_args = tuple((type(arg), arg) for arg in args)
    key_kwargs = tuple(sorted((name, type(value), value) for name, value in kwargs.items()))
    try:
        hash((key_args, key_kwargs))
    except TypeError:  # an argument that cannot be a key: reversed every time
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    return _reverse(view_name, key_args, key_kwargs, current_app, *(reversing or reversing_with()))


@receiver(setting_changed)
def _urls_changed(setting: str, **kwargs) -> None:
    """Tests swap ROOT_URLCONF with override_settings: the old URLs no longer hold."""
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()


def current_app_of(context: template.Context) -> str | None:
    """The namespace instance reverse() prefers, as Django's URLNode finds it."""
    try:
        return context.request.current_app
    except AttributeError:
        try:
            return context.request.resolver_match.namespace
        except AttributeError:
            return None


class CachedURLNode(URLNode):
    """Django's URLNode.render, with reverse() answered by cached_reverse."""

    def render(self, context: template.Context) -> str:
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        url = ""
        try:
            url = cached_reverse(view_name, args, kwargs, current_app_of(context))
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: template.base.Parser, token: template.base.Token) -> CachedURLNode:
    node = django_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
