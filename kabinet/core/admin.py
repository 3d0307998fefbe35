from django.contrib import admin

from kabinet.core.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """For logs: visible to administrators, changed by nobody."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "identifier", "user", "ip"]
    list_filter = ["action"]
    search_fields = ["identifier", "ip"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
