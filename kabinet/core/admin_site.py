"""The admin site, signing in through the same counted login as every other door and
admitting only sessions opened at its own (identity.doors)."""

from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse

from kabinet.core import audit
from kabinet.core.models import AuditEvent
from kabinet.identity import doors, second_factor


class KabinetAdminSite(admin.AdminSite):
    site_header = "Личный кабинет клиента — администрирование"
    site_title = "Администрирование"

    @property
    def login_form(self):
        # Imported here: the form imports the User model, which is not loaded yet when
        # Django imports the admin site.
        from kabinet.core.admin_login import AdminLoginForm

        return AdminLoginForm

    def has_permission(self, request: HttpRequest) -> bool:
        # The admin site is a door of its own: an is_staff user's session from the back office
        # or the customers' login does not open it without the admin's sign-in.
        return super().has_permission(request) and doors.came_through(request, doors.Door.ADMIN)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        response = super().login(request, extra_context)
        if request.method != "POST":
            return response
        form = getattr(response, "context_data", {}).get("form")
        if form is None:  # signed in: redirected onwards
            doors.note(request, doors.Door.ADMIN)
            owed = second_factor.login_details(request.user)
            audit.record(AuditEvent.Action.LOGIN, request=request, user=request.user, site="admin", **owed)
            second_factor.admit_remembered(request, request.user)  # else the code page (identity.middleware)
        elif form.has_error(NON_FIELD_ERRORS, "locked"):
            response.status_code = 429
        return response
