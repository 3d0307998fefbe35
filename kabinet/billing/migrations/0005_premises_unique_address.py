from django.db import migrations, models
from django.db.models import Count, Min

ADDRESS = ("region_id", "city", "street", "house", "flat")


def merge_duplicate_premises(apps, schema_editor):
    """Premises with the same region and full address become one (the oldest), so that the
    unique constraint below can be built. Only accounts point at premises."""
    Premises = apps.get_model("billing", "Premises")
    PersonalAccount = apps.get_model("billing", "PersonalAccount")
    duplicates = Premises.objects.values(*ADDRESS).annotate(n=Count("id"), keep=Min("id")).filter(n__gt=1)
    for address in duplicates:
        others = Premises.objects.filter(**{name: address[name] for name in ADDRESS}).exclude(id=address["keep"])
        PersonalAccount.objects.filter(premises__in=others).update(premises_id=address["keep"])
        others.delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_payment_channel_online_label")]

    operations = [
        migrations.RunPython(merge_duplicate_premises, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="premises",
            constraint=models.UniqueConstraint(
                fields=("region", "city", "street", "house", "flat"), name="billing_premises_unique_address"
            ),
        ),
    ]
