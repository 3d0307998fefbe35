from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "kabinet.identity"
    label = "identity"
    verbose_name = "Пользователи и согласия"
