from django.http import HttpRequest

from kabinet.notifications.dev_views import outbox_open


def dev_outbox(request: HttpRequest) -> dict:
    """Whether the footer may link to the demo outbox: only where the outbox would answer."""
    return {"outbox_open": outbox_open(request)}
