from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kabinet.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from kabinet.api import read_cache

        read_cache.connect()
