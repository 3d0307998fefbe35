"""The log of bill delivery changes that the export of contacts sends to billing
(formats/contacts-export.md), seeded with the subscriptions that exist today: billing has never
been told of them, and the first export must say which accounts already get the bill by e-mail.
A subscription whose account is no longer held by its user is not seeded: Kabinet does not
e-mail that bill (bill_jobs.send_electronic_bills skips it), so for billing it is on paper."""

from django.db import migrations, models
import django.db.models.deletion
import django.utils.timezone

SEED_CHUNK = 2_000


def seed_current_subscriptions(apps, schema_editor):
    subscriptions = apps.get_model("billing", "BillSubscription")
    changes = apps.get_model("billing", "BillDeliveryChange")
    current = (
        subscriptions.objects.filter(account__link__user=models.F("user"))
        .exclude(user__email="")
        .order_by("pk")
        .values_list("account_id", "user__email", "created_at")
    )
    batch = []
    for account_id, email, created_at in current.iterator(chunk_size=SEED_CHUNK):
        batch.append(
            changes(account_id=account_id, delivery="email", email=email, event="subscribed", changed_at=created_at)
        )
        if len(batch) == SEED_CHUNK:
            changes.objects.bulk_create(batch)
            batch = []
    changes.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0008_monthbalance_source"),
        ("identity", "0004_email_confirmation_and_name_rule"),  # AccountLink, read by the seed
    ]

    operations = [
        migrations.CreateModel(
            name="BillDeliveryChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "delivery",
                    models.CharField(
                        choices=[("paper", "на бумаге"), ("email", "электронная квитанция")],
                        max_length=5,
                        verbose_name="доставка квитанции",
                    ),
                ),
                (
                    "email",
                    models.EmailField(
                        blank=True,
                        help_text="Пусто, когда квитанция на бумаге",
                        max_length=254,
                        verbose_name="e-mail для квитанции",
                    ),
                ),
                (
                    "event",
                    models.CharField(
                        choices=[
                            ("subscribed", "клиент подключил электронную квитанцию"),
                            ("unsubscribed", "клиент отключил электронную квитанцию"),
                            ("email_changed", "клиент сменил e-mail"),
                            ("account_removed", "клиент убрал лицевой счёт из кабинета"),
                        ],
                        max_length=16,
                        verbose_name="что произошло",
                    ),
                ),
                (
                    "changed_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="когда"),
                ),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="delivery_changes",
                        to="billing.personalaccount",
                    ),
                ),
            ],
            options={
                "verbose_name": "изменение доставки квитанции",
                "verbose_name_plural": "изменения доставки квитанций",
                "ordering": ["pk"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("delivery", "email"), ("email__gt", "")),
                            models.Q(("delivery", "paper"), ("email", "")),
                            _connector="OR",
                        ),
                        name="billing_delivery_change_email_iff_electronic",
                    )
                ],
            },
        ),
        # Reversing drops the table, seeded rows with it: nothing to undo separately.
        migrations.RunPython(seed_current_subscriptions, migrations.RunPython.noop),
    ]
