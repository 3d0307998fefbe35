"""The audit log: one call records one security event."""

from typing import Any

from django.http import HttpRequest

from kabinet.core.models import AuditEvent
from kabinet.core.net import client_ip


def record(
    action: str,
    *,
    request: HttpRequest | None = None,
    ip: str | None = None,
    user: Any = None,
    identifier: str = "",
    **details: Any,
) -> AuditEvent:
    if user is not None and not getattr(user, "pk", None):
        user = None
    return AuditEvent.objects.create(
        action=action,
        user=user,
        identifier=identifier[:254],
        ip=client_ip(request) if request is not None else ip,
        details=details,
    )
