from django.contrib import admin

from kabinet.billing.models import PersonalAccount, Premises, Region


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
