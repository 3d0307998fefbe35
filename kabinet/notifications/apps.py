from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "kabinet.notifications"
    label = "notifications"
    verbose_name = "Уведомления"

    def ready(self):
        from kabinet.core.metrics import on_scrape
        from kabinet.notifications.metrics import message_totals

        on_scrape(message_totals)
