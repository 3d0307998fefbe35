import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kabinet.notifications.models import Message
from kabinet.notifications.sms import BACKENDS


def _from_this_machine(request: HttpRequest) -> bool:
    """The socket's peer, not X-Forwarded-For: a header is whatever the caller wants it to be,
    and behind a proxy every request is from elsewhere, so the page stays shut."""
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def outbox_open(request: HttpRequest) -> bool:
    """The outbox shows every code and reset link: only a demo (DEBUG, SMS into the file outbox)
    shows it, and only to a browser on the same machine."""
    file_backend = BACKENDS.get(settings.KABINET_SMS_BACKEND, settings.KABINET_SMS_BACKEND) == BACKENDS["file"]
    return settings.DEBUG and file_backend and _from_this_machine(request)


def outbox(request: HttpRequest) -> HttpResponse:
    """The latest SMS and e-mails, so that a person trying the demo can read their code."""
    if not outbox_open(request):
        raise Http404
    return render(request, "notifications/outbox.html", {"messages_sent": Message.objects.all()[:50]})
