"""Online payments in /admin/: read-only lists; refunds go through the back office's form
(payments.services.refund), never an edited row."""

from django.contrib import admin

from kabinet.payments.models import AutoCharge, AutoPayment, OnlinePayment, PaymentEvent, Refund


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = PaymentEvent
    fields = ["at", "refund", "old_status", "new_status", "source", "details"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RefundInline(EventInline):
    model = Refund
    fields = ["created_at", "amount", "status", "reason", "requested_by", "acquirer_id", "reconcile"]
    readonly_fields = fields


@admin.register(OnlinePayment)
class OnlinePaymentAdmin(ReadOnly):
    list_display = ["created_at", "account", "amount", "method", "status", "acquirer_id", "reconcile"]
    list_filter = ["status", "reconcile", "method", ("created_at", admin.DateFieldListFilter), "account__region"]
    search_fields = ["account__number", "acquirer_id", "=public_id"]
    list_select_related = ["account__region"]
    date_hierarchy = "created_at"
    inlines = [RefundInline, EventInline]
    show_full_result_count = False  # a count of millions of rows on every page costs more than it says


@admin.register(Refund)
class RefundAdmin(ReadOnly):
    list_display = ["created_at", "payment", "amount", "status", "requested_by", "acquirer_id", "reconcile"]
    list_filter = ["status", "reconcile", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["payment__account__number", "acquirer_id", "payment__acquirer_id"]
    list_select_related = ["payment__account__region", "requested_by"]


# --- Autopayments (payments.autopayments): read-only, their charges inline ----------------------
class AutoChargeInline(EventInline):
    model = AutoCharge
    fields = ["created_at", "period", "amount", "outcome", "payment", "reported_at"]
    readonly_fields = fields


@admin.register(AutoPayment)
class AutoPaymentAdmin(ReadOnly):
    list_display = ["created_at", "account", "status", "stop_code", "day", "cap", "method_title"]
    list_filter = ["status", "stop_code", "day"]
    search_fields = ["account__number"]
    list_select_related = ["account"]
    exclude = ["method_id"]  # the key to charge a card: never shown
    inlines = [AutoChargeInline]
