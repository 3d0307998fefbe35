"""The journal of the exchange (read-only) and the form that loads a file through the same
runner as the commands."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from kabinet.core.admin import ReadOnlyAdmin
from kabinet.exchange import kinds
from kabinet.exchange.abandoned import fail_abandoned, fail_abandoned_exports
from kabinet.exchange.models import ExportBatch, ImportBatch, RejectedRow
from kabinet.exchange.runner import run_import

LEVELS = {
    ImportBatch.Status.DONE: messages.SUCCESS,
    ImportBatch.Status.DUPLICATE: messages.WARNING,
    ImportBatch.Status.REJECTED: messages.ERROR,
    ImportBatch.Status.FAILED: messages.ERROR,
}


class KindFilter(admin.SimpleListFilter):
    title = "вид файла"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind.name, kind.title) for kind in kinds.all_kinds()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class RejectedRowInline(admin.TabularInline):
    model = RejectedRow
    fields = ["line", "reason", "raw"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="Вид файла")
    file = forms.FileField(label="Файл CSV", help_text="UTF-8, разделитель — запятая, первая строка — заголовок")
    dry_run = forms.BooleanField(label="Только проверить, ничего не менять", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.name, kind.title) for kind in kinds.all_kinds()]


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    change_list_template = "admin/exchange/importbatch/change_list.html"
    list_display = [
        "pk",
        "started_at",
        "kind_title",
        "file_name",
        "status",
        "dry_run",
        "rows_read",
        "rows_created",
        "rows_updated",
        "rows_unchanged",
        "rows_rejected",
        "who",
    ]
    list_display_links = ["pk", "started_at"]
    list_filter = [KindFilter, "status", "dry_run"]
    search_fields = ["file_name", "checksum"]
    inlines = [RejectedRowInline]
    fields = [
        "kind_title",
        "file_name",
        "checksum",
        "status",
        "message",
        "dry_run",
        ("rows_read", "rows_created", "rows_updated", "rows_unchanged", "rows_rejected"),
        ("started_at", "finished_at"),
        "who",
    ]
    readonly_fields = [f for f in fields if isinstance(f, str)] + [
        "rows_read",
        "rows_created",
        "rows_updated",
        "rows_unchanged",
        "rows_rejected",
        "started_at",
        "finished_at",
    ]

    @admin.display(description="вид файла", ordering="kind")
    def kind_title(self, batch: ImportBatch) -> str:
        try:
            return kinds.get(batch.kind).title
        except LookupError:
            return batch.kind

    @admin.display(description="кто загрузил")
    def who(self, batch: ImportBatch) -> str:
        return f"{batch.user} (администрирование)" if batch.user else batch.source

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    def get_urls(self):
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="exchange_importbatch_upload")
        return [upload, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        fail_abandoned()  # an entry left `running` by a killed process is shown as it is: failed
        extra = {"can_upload": request.user.has_perm("exchange.run_import"), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def upload_view(self, request):
        if not request.user.has_perm("exchange.run_import"):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            batch = run_import(
                form.cleaned_data["kind"],
                upload.file,
                file_name=upload.name,
                source="администрирование",
                user=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
            self.message_user(request, batch.message, LEVELS.get(batch.status, messages.INFO))
            return redirect(reverse("admin:exchange_importbatch_change", args=[batch.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Загрузить файл обмена",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/exchange/importbatch/upload.html", context)


@admin.register(ExportBatch)
class ExportBatchAdmin(ReadOnlyAdmin):
    """Files written for billing (`manage.py export_readings`, `export_contacts`, `export_payments`),
    beside the import journal."""

    list_display = ["pk", "started_at", "kind", "period", "file_name", "status", "rows", "who"]
    list_display_links = ["pk", "started_at"]
    list_filter = ["kind", "status", "period"]
    search_fields = ["file_name", "checksum"]
    fields = [
        "kind",
        "period",
        "file_name",
        "checksum",
        "status",
        "message",
        "rows",
        ("started_at", "finished_at"),
        "who",
    ]
    readonly_fields = [f for f in fields if isinstance(f, str)] + ["started_at", "finished_at"]

    @admin.display(description="кто выгрузил")
    def who(self, batch: ExportBatch) -> str:
        return f"{batch.user} (администрирование)" if batch.user else batch.source

    def changelist_view(self, request, extra_context=None):
        fail_abandoned_exports()  # an entry left `running` by a killed process is shown as it is: failed
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")
