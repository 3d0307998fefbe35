from django.contrib import admin

from kabinet.billing.models import Bill, BillSubscription, PersonalAccount, Premises, Region
from kabinet.core.admin import ReadOnlyAdmin


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "contact_phone", "is_default", "registry_available"]
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
