from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "kabinet.exchange"
    label = "exchange"
    verbose_name = "Обмен с биллингом"

    def ready(self):
        from kabinet.exchange import kinds

        kinds.load_builtin()
