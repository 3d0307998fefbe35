from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_region_closed_through"),
    ]

    operations = [
        migrations.AddField(
            model_name="monthbalance",
            name="source",
            field=models.CharField(
                choices=[("kabinet", "расчёт Кабинета"), ("billing", "биллинг")],
                db_default="kabinet",
                default="kabinet",
                max_length=16,
                verbose_name="источник",
            ),
        ),
    ]
