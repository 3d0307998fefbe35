from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.template.response import TemplateResponse
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.admin import WebAuthnCredentialAdmin
from django_otp_webauthn.models import WebAuthnCredential

from kabinet.billing import bill_delivery
from kabinet.core.net import client_ip
from kabinet.identity import api_tokens, second_factor, setup_grants
from kabinet.identity.models import (
    AccountLink,
    ApiSession,
    ConsentAcceptance,
    ConsentDocument,
    PersonalAccessToken,
    SetupGrant,
    SmsDevice,
    User,
)


class KabinetUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class KabinetUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("phone",)


class AccountLinkInline(admin.TabularInline):
    model = AccountLink
    raw_id_fields = ["account"]
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = KabinetUserChangeForm
    add_form = KabinetUserCreationForm
    ordering = ["-date_joined"]
    list_display = ["phone", "email", "first_name", "last_name", "is_active", "date_joined"]
    list_filter = ["is_active", "is_staff"]
    search_fields = ["phone", "email", "last_name", "legacy_login", "account_links__account__number"]
    inlines = [AccountLinkInline]
    fieldsets = [
        (None, {"fields": ["phone", "email", "password"]}),
        ("Личные данные", {"fields": ["first_name", "last_name", "legacy_login"]}),
        ("Доступ", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Даты", {"fields": ["last_login", "date_joined", "tour_completed_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["phone", "password1", "password2"]})]
    actions = ["issue_setup_grant"]

    @admin.action(description="Выдать код подключения второго фактора (сотрудникам)", permissions=["setup_grant"])
    def issue_setup_grant(self, request, queryset) -> TemplateResponse:
        """After a deleted device, an employee sets a new one up only with this code: shown once
        here, to hand over in person or by phone (identity.setup_grants decides who gets one)."""
        codes, skipped = [], {"customer": 0, "has_factor": 0, "self": 0, "not_superuser": 0}
        for user in queryset:
            if reason := setup_grants.refusal(user, request.user):
                skipped[reason] += 1
            else:
                codes.append((user, setup_grants.issue(user, request.user, client_ip(request))))
        context = {
            **self.admin_site.each_context(request),
            "title": "Коды подключения второго фактора",
            "codes": codes,
            "skipped": skipped,
        }
        return TemplateResponse(request, "admin/identity/setup_grant_codes.html", context)

    def has_setup_grant_permission(self, request) -> bool:
        """Superusers only: the code lets whoever holds it enrol a device for the employee."""
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if {"is_staff", "is_superuser"} & set(form.changed_data):
            setup_grants.lock_new_employee(obj)
        if change:  # a new e-mail or a block changes where the bills go: billing is told
            bill_delivery.user_edited(obj, form.changed_data)


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "published_at"]


@admin.register(ConsentAcceptance)
class ConsentAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["user", "document", "accepted_at", "ip"]
    raw_id_fields = ["user"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Tokens are made by their owners only (the secret is theirs to see); staff look and revoke."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "user", "can_submit_readings", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["can_submit_readings"]
    search_fields = ["user__phone", "user__email", "name"]
    raw_id_fields = ["user"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    @admin.action(description="Отозвать выбранные токены")
    def revoke(self, request, queryset) -> None:
        revoked = api_tokens.revoke_personal_tokens(queryset)
        self.message_user(request, f"Отозвано токенов: {revoked}.")


@admin.register(ApiSession)
class ApiSessionAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "ip", "revoked_at", "revoked_reason"]
    list_filter = ["revoked_reason"]
    search_fields = ["user__phone", "user__email"]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    @admin.action(description="Завершить выбранные входы")
    def revoke(self, request, queryset) -> None:
        revoked = api_tokens.revoke_sessions(queryset, "admin")
        self.message_user(request, f"Завершено входов: {revoked}.")


class DeviceAdmin(admin.ModelAdmin):
    """Second-factor devices are looked at and deleted here (a lost phone), never added or
    edited: an administrator who adds one, or moves one to another user, knows its key."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj) -> None:
        second_factor.delete_by_admin([obj], request.user, client_ip(request))

    def delete_queryset(self, request, queryset) -> None:
        second_factor.delete_by_admin(list(queryset), request.user, client_ip(request))


# django-otp registers its own (apps listed before this one); ours replace them.
for model, base in [
    (TOTPDevice, TOTPDeviceAdmin),
    (StaticDevice, StaticDeviceAdmin),
    (WebAuthnCredential, WebAuthnCredentialAdmin),
]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(base.__name__, (DeviceAdmin, base), {}))


@admin.register(SmsDevice)
class SmsDeviceAdmin(DeviceAdmin):
    """A customer's SMS codes for sign-in: deleted here when they lose the phone number."""

    list_display = ["user", "confirmed"]
    raw_id_fields = ["user"]
    search_fields = ["user__phone", "user__email"]


@admin.register(SetupGrant)
class SetupGrantAdmin(ReadOnlyAdmin):
    """Employees whose setup waits for an administrator's code (identity.setup_grants): seen
    here, issued from the users' list, never deleted by hand (that would let the password
    alone set a device up again)."""

    list_display = ["user", "issued_by", "expires_at", "redeemed_at", "created_at"]
    raw_id_fields = ["user", "issued_by"]
    exclude = ["code_hash"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
