from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save


class BillingConfig(AppConfig):
    name = "kabinet.billing"
    label = "billing"
    verbose_name = "Счета и расчёты"

    def ready(self) -> None:
        from kabinet.billing import delivery_signals, registry

        pre_save.connect(delivery_signals.link_saving, sender=delivery_signals.LINK)
        pre_delete.connect(delivery_signals.link_deleting, sender=delivery_signals.LINK)
        pre_delete.connect(delivery_signals.subscription_deleting, sender="billing.BillSubscription")
        # The footer's contacts are kept per process until a region changes (registry).
        post_save.connect(registry.regions_changed, sender="billing.Region")
        post_delete.connect(registry.regions_changed, sender="billing.Region")
