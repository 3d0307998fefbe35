from django.contrib import admin

from kabinet.billing.models import (
    Accrual,
    Bill,
    BillDeliveryChange,
    BillSubscription,
    MonthBalance,
    Payment,
    PersonalAccount,
    Premises,
    Region,
    Service,
    Tariff,
)
from kabinet.core.admin import ReadOnlyAdmin


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "contact_phone", "is_default", "registry_available", "closed_through"]
    list_editable = ["registry_available"]


@admin.register(Premises)
class PremisesAdmin(admin.ModelAdmin):
    list_display = ["__str__", "region"]
    list_filter = ["region"]
    search_fields = ["street", "house"]


@admin.register(PersonalAccount)
class PersonalAccountAdmin(admin.ModelAdmin):
    list_display = ["number", "region", "premises", "status", "replaced_by"]
    list_filter = ["region", "status"]
    search_fields = ["number"]
    raw_id_fields = ["premises", "replaced_by"]


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    """Generated bills: made by the monthly job or on download, never edited by hand. The PDF
    is not linked here (private storage); customers download it from «Квитанции»."""

    list_display = ["account", "period", "amount", "generated_at", "emailed_at"]
    list_filter = ["period", "account__region"]
    search_fields = ["account__number"]
    exclude = ["pdf", "fingerprint"]


@admin.register(BillSubscription)
class BillSubscriptionAdmin(ReadOnlyAdmin):
    """«Электронная квитанция»: these accounts get the bill by e-mail instead of paper."""

    list_display = ["account", "user", "created_at"]
    list_filter = ["account__region"]
    search_fields = ["account__number", "user__email", "user__phone"]


@admin.register(BillDeliveryChange)
class BillDeliveryChangeAdmin(ReadOnlyAdmin):
    """What billing is told of bill delivery (`manage.py export_contacts`): written by the
    services that make the changes, never by hand."""

    list_display = ["pk", "changed_at", "account", "delivery", "email", "event"]
    list_filter = ["delivery", "event", "account__region"]
    search_fields = ["account__number", "email"]
    date_hierarchy = "changed_at"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit", "ordering"]
    list_editable = ["ordering"]


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ["service", "region", "zones", "valid_from", "rate_t1", "rate_t2", "rate_t3"]
    list_filter = ["region", "service", "zones"]
    date_hierarchy = "valid_from"


class FromBillingAdmin(ReadOnlyAdmin):
    """Accruals, payments and balances come from the billing system (imported, or rebuilt by
    `billing.balances`): shown here to answer a customer, never edited by hand."""

    list_filter = ["account__region"]
    search_fields = ["account__number"]
    list_select_related = ["account"]


@admin.register(Accrual)
class AccrualAdmin(FromBillingAdmin):
    list_display = ["account", "period", "service", "zone", "volume", "tariff", "amount", "recalculation"]
    list_filter = ["period", "service", "account__region"]
    list_select_related = ["account", "service"]


@admin.register(Payment)
class PaymentAdmin(FromBillingAdmin):
    list_display = ["account", "paid_on", "amount", "channel"]
    list_filter = ["channel", "account__region"]


@admin.register(MonthBalance)
class MonthBalanceAdmin(FromBillingAdmin):
    list_display = ["account", "period", "opening", "accrued", "paid", "closing"]
    list_filter = ["period", "account__region"]
