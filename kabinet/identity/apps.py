from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "kabinet.identity"
    label = "identity"
    verbose_name = "Пользователи и согласия"

    def ready(self) -> None:
        from kabinet.identity import checks  # noqa: F401 (registers the passkey settings' check)
