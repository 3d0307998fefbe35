"""Which payments and refunds made in Kabinet (their ledger entries, billing.Payment) an
incremental export of payments has sent: one marker each, like ExportedReading; billing's table
is only read."""

from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_delivery_change_events"),
        ("exchange", "0005_journal_entry_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="ExportedPayment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "batch",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="exchange.exportbatch",
                    ),
                ),
                (
                    "payment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="export",
                        to="billing.payment",
                    ),
                ),
            ],
            options={
                "verbose_name": "выгруженный онлайн-платёж",
                "verbose_name_plural": "выгруженные онлайн-платежи",
            },
        ),
    ]
