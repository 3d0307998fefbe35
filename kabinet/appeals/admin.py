from django.contrib import admin

from kabinet.appeals.models import Appeal, Event, Reason, StaffRole, Topic
from kabinet.appeals.ratings_models import AnswerRating
from kabinet.core.admin import ReadOnlyAdmin
from kabinet.identity import setup_grants


class ReasonInline(admin.TabularInline):
    model = Reason
    fields = ["name", "answer_days", "documents_hint", "ordering", "is_active"]
    extra = 1


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "ordering", "is_active"]
    list_editable = ["ordering", "is_active"]
    inlines = [ReasonInline]


@admin.register(Reason)
class ReasonAdmin(admin.ModelAdmin):
    list_display = ["name", "topic", "answer_days", "is_active"]
    list_filter = ["topic", "is_active"]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role"]
    list_filter = ["role", "regions"]
    filter_horizontal = ["regions"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        setup_grants.lock_new_employee(obj.user)  # a new employee's setup waits for a code


class EventInline(admin.TabularInline):
    model = Event
    fields = ["at", "kind", "actor", "from_status", "to_status", "details"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    """Appeals are worked in the back office; the admin only shows them and their history."""

    list_display = ["number", "region", "topic", "status", "deadline", "assignee", "created_at"]
    list_filter = ["status", "region", "topic"]
    search_fields = ["number", "account__number"]
    readonly_fields = [f.name for f in Appeal._meta.fields]
    inlines = [EventInline]


@admin.register(AnswerRating)
class AnswerRatingAdmin(ReadOnlyAdmin):
    """Customers' scores are theirs: the admin shows them, the back office sums them up."""

    list_display = ["appeal", "score", "operator", "created_at", "updated_at", "alerted_at"]
    list_filter = ["score", "appeal__region", "appeal__topic"]
    search_fields = ["appeal__number"]
    readonly_fields = [f.name for f in AnswerRating._meta.fields]
