from django.apps import AppConfig


def holds_staff_role(user: str):
    """Whether the user whose id is at `user` in the outer query holds a back-office role."""
    from django.db.models import Exists, OuterRef

    from kabinet.appeals.models import StaffRole

    return Exists(StaffRole.objects.filter(user=OuterRef(user)))


class AppealsConfig(AppConfig):
    name = "kabinet.appeals"
    label = "appeals"
    verbose_name = "Обращения"

    def ready(self) -> None:
        # Whoever holds a back-office role is an employee: the customers' login refuses them.
        from kabinet.identity.staff import register_staff_check

        register_staff_check(holds_staff_role)
