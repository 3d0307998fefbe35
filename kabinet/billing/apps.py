from django.apps import AppConfig
from django.db.models.signals import pre_delete, pre_save


class BillingConfig(AppConfig):
    name = "kabinet.billing"
    label = "billing"
    verbose_name = "Счета и расчёты"

    def ready(self) -> None:
        from kabinet.billing import delivery_signals

        pre_save.connect(delivery_signals.link_saving, sender=delivery_signals.LINK)
        pre_delete.connect(delivery_signals.link_deleting, sender=delivery_signals.LINK)
        pre_delete.connect(delivery_signals.subscription_deleting, sender="billing.BillSubscription")
