"""Meters and their readings. A reading is never changed or deleted: a second submission in
the same window replaces the first by pointing at it, and the history keeps both."""

from django.conf import settings
from django.db import models

from kabinet.billing.models import PersonalAccount, Service

ZONES = ("t1", "t2", "t3")
ZONE_LABELS = {1: ("Показание",), 2: ("День (Т1)", "Ночь (Т2)"), 3: ("Пик (Т1)", "Ночь (Т2)", "Полупик (Т3)")}


class Meter(models.Model):
    account = models.ForeignKey(PersonalAccount, on_delete=models.PROTECT, related_name="meters")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    serial = models.CharField("заводской номер", max_length=32)
    zones = models.PositiveSmallIntegerField("тарифных зон", choices=[(1, "Т1"), (2, "Т1+Т2"), (3, "Т1+Т2+Т3")])
    digits = models.PositiveSmallIntegerField("разрядность", default=6, help_text="Цифр до запятой на табло")
    installed_on = models.DateField("дата установки")
    verification_due = models.DateField("дата следующей поверки")
    is_active = models.BooleanField("действует", default=True)
    # From the billing exchange (formats/meters.md): a removed meter is inactive and keeps its
    # readings; the meter installed in its place, on the same account and service.
    removed_on = models.DateField("дата снятия", null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces", verbose_name="заменён на"
    )

    class Meta:
        ordering = ["account", "service__ordering", "serial"]
        verbose_name = "прибор учёта"
        verbose_name_plural = "приборы учёта"

    def __str__(self) -> str:
        return f"№ {self.serial} ({self.service})"

    @property
    def capacity(self) -> int:
        """The first value the display cannot show: after 999999 it reads 000000."""
        return 10**self.digits

    @property
    def zone_fields(self) -> tuple[str, ...]:
        return ZONES[: self.zones]

    @property
    def zone_labels(self) -> tuple[str, ...]:
        return ZONE_LABELS[self.zones]


class Reading(models.Model):
    class Source(models.TextChoices):
        PORTAL = "portal", "Клиент через личный кабинет"
        BILLING = "billing", "Биллинг (по среднему или нормативу)"
        INSPECTOR = "inspector", "Контролёр"
        PHONE = "phone", "По телефону"
        SMART_METER = "smart_meter", "Умный счётчик (АСКУЭ)"

    meter = models.ForeignKey(Meter, on_delete=models.PROTECT, related_name="readings")
    period = models.DateField("месяц", help_text="Первое число месяца, за который показание")
    t1 = models.PositiveIntegerField("Т1")
    t2 = models.PositiveIntegerField("Т2", null=True, blank=True)
    t3 = models.PositiveIntegerField("Т3", null=True, blank=True)
    source = models.CharField("источник", max_length=12, choices=Source.choices)
    taken_at = models.DateTimeField("когда снято")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set on the earlier reading of the same window when the customer sends new values.
    replaced_by = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces")
    wrapped = models.BooleanField("переход через ноль подтверждён", default=False)
    unusual_confirmed = models.BooleanField("необычный расход подтверждён", default=False)

    class Meta:
        ordering = ["meter", "taken_at", "pk"]
        verbose_name = "показание"
        verbose_name_plural = "показания"
        indexes = [models.Index(fields=["meter", "period"])]

    def __str__(self) -> str:
        return f"{self.meter.serial} {self.period:%m.%Y}: {self.values}"

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(getattr(self, zone) for zone in self.meter.zone_fields)
