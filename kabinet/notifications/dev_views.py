import ipaddress
import re

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from kabinet.core.templatetags.kabinet import breakable
from kabinet.notifications.models import Message
from kabinet.notifications.sms import BACKENDS

# Headers a reverse proxy adds. A proxy on this machine (nginx before the demo) makes every
# peer loopback, so a request that carries any of them came from elsewhere, whatever they say.
_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def _from_this_machine(request: HttpRequest) -> bool:
    """The socket's peer is loopback and no proxy stands between: never X-Forwarded-For's word,
    since a header is whatever the caller wants it to be."""
    if any(name in request.META for name in _PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def outbox_open(request: HttpRequest) -> bool:
    """The outbox shows every code and reset link: only a demo (DEBUG, SMS into the file outbox)
    shows it, and only to a browser on the same machine."""
    file_backend = BACKENDS.get(settings.KABINET_SMS_BACKEND, settings.KABINET_SMS_BACKEND) == BACKENDS["file"]
    return settings.DEBUG and file_backend and _from_this_machine(request)


_LINK = re.compile(r"(https?://\S+)")
_NUMBER = re.compile(r"(\d+(?:-\d+)+)")  # an appeal's number, «66-2026-000001»: one line


def _text_html(text: str) -> str:
    return _NUMBER.sub(r'<span class="nowrap">\1</span>', escape(text))


def body_html(text: str) -> SafeString:
    """A message's text with its lines and links, a link breakable after its «/» on a phone."""
    parts = _LINK.split(text)  # odd items are the links
    html = "".join(
        format_html('<a href="{}">{}</a>', part, breakable(part)) if odd else _text_html(part)
        for odd, part in ((i % 2 == 1, part) for i, part in enumerate(parts))
    )
    return mark_safe(html.replace("\n", "<br>"))  # noqa: S308 (text escaped, links by format_html)


def outbox(request: HttpRequest) -> HttpResponse:
    """The latest SMS and e-mails, so that a person trying the demo can read their code."""
    if not outbox_open(request):
        raise Http404
    rows = [(message, body_html(message.body)) for message in Message.objects.all()[:50]]
    return render(request, "notifications/outbox.html", {"rows": rows})
