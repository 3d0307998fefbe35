from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "kabinet.exchange"
    label = "exchange"
    verbose_name = "Обмен с биллингом"

    def ready(self):
        from kabinet.exchange import kinds

        kinds.load_builtin()

        from kabinet.core.metrics import on_scrape
        from kabinet.exchange.metrics import import_metrics

        on_scrape(import_metrics)
