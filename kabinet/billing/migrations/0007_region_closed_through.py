from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_payment_source_id")]

    operations = [
        migrations.AddField(
            model_name="region",
            name="closed_through",
            field=models.DateField(
                blank=True,
                help_text="Первое число последнего закрытого в биллинге месяца; начисления за него и раньше не загружаются",
                null=True,
                verbose_name="начисления закрыты по (месяц)",
            ),
        ),
    ]
