from django.contrib import admin, messages

from kabinet.core.admin import ReadOnlyAdmin
from kabinet.notifications.models import Message
from kabinet.notifications.tasks import send_again


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """The delivery log, read-only: what was sent to whom, and what became of it."""

    list_display = ["created_at", "channel", "to", "subject", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "channel"]
    search_fields = ["to", "provider_id"]
    readonly_fields = [f.name for f in Message._meta.fields]
    actions = ["send_again"]

    @admin.action(description="Отправить повторно")
    def send_again(self, request, queryset):
        failed = queryset.filter(status=Message.Status.FAILED)
        sent = sum(send_again(message) for message in failed)
        skipped = queryset.count() - sent
        if sent:
            self.message_user(request, f"Поставлено в очередь повторно: {sent}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"Пропущено: {skipped} (повторно отправляются только недоставленные; "
                "коды и одноразовые ссылки не отправляются повторно — клиент запрашивает новые).",
                messages.WARNING,
            )
