"""Employees who have no second factor now (never set one up, or an administrator deleted it
before setup codes existed) set one up only with an administrator's code
(identity.setup_grants): without this row their password alone would still enrol a device."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Q


def lock(apps, schema_editor):
    User = apps.get_model("identity", "User")
    SetupGrant = apps.get_model("identity", "SetupGrant")
    StaffRole = apps.get_model("appeals", "StaffRole")
    devices = [
        apps.get_model("otp_totp", "TOTPDevice"),
        apps.get_model("identity", "SmsDevice"),
        apps.get_model("django_otp_webauthn", "WebAuthnCredential"),
    ]
    staff = Q(is_staff=True) | Q(is_superuser=True) | Q(Exists(StaffRole.objects.filter(user=OuterRef("pk"))))
    without = User.objects.filter(staff)
    for device in devices:
        without = without.exclude(Exists(device.objects.filter(user=OuterRef("pk"), confirmed=True)))
    waiting = without.exclude(Exists(SetupGrant.objects.filter(user=OuterRef("pk"))))
    SetupGrant.objects.bulk_create([SetupGrant(user_id=pk) for pk in waiting.values_list("pk", flat=True)])


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0008_setup_grant_redeemed"),
        ("appeals", "0005_complaint_answer_by_letter"),
        ("otp_totp", "0003_add_timestamps"),
        ("django_otp_webauthn", "0004_webauthnuserhandle"),
    ]

    operations = [migrations.RunPython(lock, migrations.RunPython.noop)]
