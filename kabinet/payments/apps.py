from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "kabinet.payments"
    label = "payments"
    verbose_name = "Онлайн-оплата"

    def ready(self):
        from kabinet.identity.signals import account_removed
        from kabinet.payments.autopayments import account_removed as stop_autopayment

        account_removed.connect(stop_autopayment, dispatch_uid="payments.autopayment_account_removed")
