"""The admin site, with the same failure lockout as every other password entry."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from kabinet.core import audit, ratelimit
from kabinet.core.models import AuditEvent
from kabinet.core.net import client_ip


class KabinetAdminSite(admin.AdminSite):
    site_header = "Личный кабинет клиента — администрирование"
    site_title = "Администрирование"

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        ip = client_ip(request)
        username = request.POST.get("username", "")
        limits = [ratelimit.identifier_limit("admin", username), ratelimit.ip_limit("admin", ip)]
        if until := ratelimit.locked_until(limits):
            return HttpResponse(f"Слишком много неудачных попыток входа. Повторите после {until:%H:%M}.", status=429)
        response = super().login(request, extra_context)
        if response.status_code == 200:  # the form came back: the credentials were refused
            ratelimit.register_failure(limits)
            audit.record(AuditEvent.Action.LOGIN_FAILED, ip=ip, identifier=username, site="admin")
        else:
            audit.record(AuditEvent.Action.LOGIN, ip=ip, user=request.user, identifier=username, site="admin")
        return response
