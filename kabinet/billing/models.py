import re

from django.core.exceptions import ValidationError
from django.db import models


def validate_regex(value: str) -> None:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValidationError(f"Неверное регулярное выражение: {exc}") from exc


class Region(models.Model):
    """A regional branch of the retailer: its own registry, contact centre and rules."""

    code = models.CharField(
        "код", max_length=8, unique=True, help_text="Код субъекта РФ, например 66 для Свердловского"
    )
    name = models.CharField("название", max_length=100, unique=True)
    contact_phone = models.CharField("телефон контактного центра", max_length=32)
    feedback_url = models.URLField("ссылка на «Обратную связь»", max_length=300)
    account_number_pattern = models.CharField(
        "шаблон номера лицевого счёта",
        max_length=100,
        default=r"\d{12}",
        validators=[validate_regex],
        help_text="Регулярное выражение, которому должен соответствовать весь номер",
    )
    account_number_hint = models.CharField("подсказка к номеру", max_length=200, default="12 цифр, как в квитанции")
    is_default = models.BooleanField("регион по умолчанию", default=False)
    registry_available = models.BooleanField(
        "реестр доступен",
        default=True,
        help_text="Снимите, чтобы поиск в реестре отвечал «Объект не найден» (работы в биллинге)",
    )
    ordering = models.PositiveSmallIntegerField("порядок", default=100)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = "регион (филиал)"
        verbose_name_plural = "регионы (филиалы)"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="billing_region_single_default",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def account_number_matches(self, number: str) -> bool:
        return re.fullmatch(self.account_number_pattern, number) is not None


class Premises(models.Model):
    """An address that personal accounts belong to («объект»)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="premises")
    city = models.CharField("населённый пункт", max_length=100)
    street = models.CharField("улица", max_length=150)
    house = models.CharField("дом", max_length=20)
    flat = models.CharField("квартира", max_length=20, blank=True)

    class Meta:
        verbose_name = "объект"
        verbose_name_plural = "объекты"
        indexes = [models.Index(fields=["region", "street", "house"])]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        parts = [f"г. {self.city}", self.street, f"д. {self.house}"]
        if self.flat:
            parts.append(f"кв. {self.flat}")
        return ", ".join(parts)


class PersonalAccount(models.Model):
    """A billing account printed on the bill («лицевой счёт»)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Действующий"
        CLOSED = "closed", "Закрыт"

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="accounts")
    number = models.CharField("номер", max_length=32)
    premises = models.ForeignKey(Premises, on_delete=models.PROTECT, related_name="accounts")
    status = models.CharField("состояние", max_length=8, choices=Status.choices, default=Status.ACTIVE)
    replaced_by = models.ForeignKey(
        "self",
        verbose_name="заменён счётом",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces",
    )
    closed_on = models.DateField("дата закрытия", null=True, blank=True)

    class Meta:
        verbose_name = "лицевой счёт"
        verbose_name_plural = "лицевые счета"
        constraints = [
            models.UniqueConstraint(fields=["region", "number"], name="billing_account_unique_number"),
            models.CheckConstraint(
                condition=models.Q(status="closed") | models.Q(replaced_by__isnull=True),
                name="billing_account_only_closed_replaced",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.region})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE
