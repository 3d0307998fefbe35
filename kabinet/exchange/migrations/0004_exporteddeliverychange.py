"""Which bill delivery changes (billing/0009) an incremental export of contacts has sent: one
marker each, like ExportedReading; billing's table is only read."""

from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_billdeliverychange"),
        ("exchange", "0003_billing_reading"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExportedDeliveryChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="delivery_changes",
                        to="exchange.exportbatch",
                    ),
                ),
                (
                    "change",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="export",
                        to="billing.billdeliverychange",
                    ),
                ),
            ],
            options={
                "verbose_name": "выгруженное изменение доставки квитанции",
                "verbose_name_plural": "выгруженные изменения доставки квитанций",
            },
        ),
    ]
