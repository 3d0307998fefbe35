from django.apps import AppConfig


def holds_staff_role(user) -> bool:
    from kabinet.appeals.models import StaffRole

    return StaffRole.objects.filter(user=user).exists()


class AppealsConfig(AppConfig):
    name = "kabinet.appeals"
    label = "appeals"
    verbose_name = "Обращения"

    def ready(self) -> None:
        # Whoever holds a back-office role is an employee: the customers' login refuses them.
        from kabinet.identity.staff import register_staff_check

        register_staff_check(holds_staff_role)
