from django.apps import AppConfig


class ReadingsConfig(AppConfig):
    name = "kabinet.readings"
    label = "readings"
    verbose_name = "Показания"
