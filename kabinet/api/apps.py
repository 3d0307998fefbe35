from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kabinet.api"
    label = "api"
    verbose_name = "API"
