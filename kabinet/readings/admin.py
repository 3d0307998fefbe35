from django.contrib import admin

from kabinet.core.admin import ReadOnlyAdmin
from kabinet.readings.models import Meter, Reading


@admin.register(Meter)
class MeterAdmin(admin.ModelAdmin):
    """Meters are kept up to date by staff: a new verification date after «поверка», a
    replaced meter switched off («действует») and the new one added."""

    list_display = ["serial", "account", "service", "zones", "digits", "verification_due", "is_active"]
    list_filter = ["service", "zones", "is_active", "account__region"]
    search_fields = ["serial", "account__number"]
    raw_id_fields = ["account"]
    list_select_related = ["account", "service"]


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdmin):
    """A reading is never changed or deleted (docs/readings.md): a correction is a new reading."""

    list_display = ["meter", "period", "t1", "t2", "t3", "source", "taken_at", "replaced"]
    list_filter = ["source", "period"]
    search_fields = ["meter__serial", "meter__account__number"]
    list_select_related = ["meter__service"]

    @admin.display(boolean=True, description="заменено")
    def replaced(self, reading: Reading) -> bool:
        return reading.replaced_by_id is not None
