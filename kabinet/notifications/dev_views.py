from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kabinet.notifications.models import Message


def outbox(request: HttpRequest) -> HttpResponse:
    """The latest SMS and e-mails, so that a person trying the demo can read their code."""
    if not settings.DEBUG:
        raise Http404
    return render(request, "notifications/outbox.html", {"messages_sent": Message.objects.all()[:50]})
