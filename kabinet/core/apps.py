from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kabinet.core"
    label = "core"
    verbose_name = "Ядро"

    def ready(self):
        from kabinet.core import checks  # noqa: F401 (registers the checks)
        from kabinet.core.metrics import on_scrape
        from kabinet.core.queues import queue_metrics

        on_scrape(queue_metrics)
