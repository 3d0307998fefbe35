from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "kabinet.identity"
    label = "identity"
