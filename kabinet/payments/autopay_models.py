"""Autopayment of one personal account: a saved card charged on a chosen day, up to a cap, and
the charges made for it (docs/payments.md, «Автоплатёж»). Rules live in payments.autopayments
and payments.autocharge; these are the rows."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from kabinet.billing.models import PersonalAccount


class AutoPayment(models.Model):
    class Status(models.TextChoices):
        SETUP = "setup", "подключается"  # the first payment, which saves the card, is not finished
        ACTIVE = "active", "подключён"
        STOPPED = "stopped", "отключён"

    class Stop(models.TextChoices):
        CUSTOMER = "customer", "отключён клиентом"
        CHARGE_FAILED = "charge_failed", "списание не прошло"
        SETUP_FAILED = "setup_failed", "первый платёж не прошёл"
        NOT_SAVED = "not_saved", "карта не сохранена"
        REPLACED = "replaced", "начато новое подключение"
        ACCOUNT_REMOVED = "account_removed", "лицевой счёт удалён из профиля"

    LIVE = (Status.SETUP, Status.ACTIVE)

    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="autopayments", verbose_name="лицевой счёт"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="autopayments",
        verbose_name="кто подключил",
    )
    status = models.CharField("статус", max_length=8, choices=Status.choices, default=Status.SETUP, db_index=True)
    stop_code = models.CharField("почему отключён", max_length=16, choices=Stop.choices, blank=True)
    stop_reason = models.CharField("что сказано клиенту", max_length=300, blank=True)
    # ЮKassa's id of the saved payment method: blanked when the autopayment stops, so nothing
    # in Kabinet can charge it again (ЮKassa's API has no call that deletes a saved method).
    method_id = models.CharField("идентификатор сохранённого способа оплаты", max_length=64, blank=True)
    method_title = models.CharField("карта", max_length=64, blank=True)
    day = models.PositiveSmallIntegerField("день списания", validators=[MinValueValidator(1), MaxValueValidator(28)])
    cap = models.DecimalField("не больше, ₽", max_digits=12, decimal_places=2)
    receipt_email = models.EmailField("e-mail для чека", blank=True)
    receipt_phone = models.CharField("телефон для чека", max_length=16, blank=True)
    setup_payment = models.OneToOneField(
        "payments.OnlinePayment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="autopayment_setup",
        verbose_name="первый платёж",
    )
    reminded_for = models.DateField("напоминание отправлено о списании", null=True, blank=True)
    # The bill the last reminder announced, and when it went: a bill is charged only after its
    # reminder went out on an earlier day (payments.autocharge).
    reminded_period = models.DateField("напоминание о квитанции за месяц", null=True, blank=True)
    reminded_at = models.DateTimeField("напоминание отправлено", null=True, blank=True)
    created_at = models.DateTimeField("создан", auto_now_add=True)
    updated_at = models.DateTimeField("изменён", auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "автоплатёж"
        verbose_name_plural = "автоплатежи"
        constraints = [
            # One autopayment per account being set up or working: a second tab, a double
            # click or two app servers cannot save two cards for one account.
            models.UniqueConstraint(
                fields=["account"], condition=Q(status__in=["setup", "active"]), name="payments_one_live_autopayment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number}: {self.get_status_display()}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class AutoCharge(models.Model):
    """What the autopayment did about one bill: charged it (the payment), or not because the
    bill was over the cap. One per autopayment and billed month, so a task that runs twice or
    on two workers at once never charges one bill twice."""

    class Outcome(models.TextChoices):
        CHARGING = "charging", "списание начато"
        SUCCEEDED = "succeeded", "оплачено"
        FAILED = "failed", "не прошло"
        OVER_CAP = "over_cap", "больше лимита, не списано"
        NOT_SENT = "not_sent", "не списано: автоплатёж отключён"

    autopayment = models.ForeignKey(
        AutoPayment, on_delete=models.CASCADE, related_name="charges", verbose_name="автоплатёж"
    )
    period = models.DateField("месяц квитанции")
    amount = models.DecimalField("сумма, ₽", max_digits=12, decimal_places=2)
    outcome = models.CharField("итог", max_length=10, choices=Outcome.choices)
    payment = models.OneToOneField(
        "payments.OnlinePayment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="autocharge",
        verbose_name="платёж",
    )
    created_at = models.DateTimeField("когда", auto_now_add=True)
    reported_at = models.DateTimeField("клиенту сообщено", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "списание автоплатежа"
        verbose_name_plural = "списания автоплатежей"
        constraints = [
            models.UniqueConstraint(fields=["autopayment", "period"], name="payments_one_charge_per_bill"),
        ]

    def __str__(self) -> str:
        return f"{self.period:%m.%Y}: {self.get_outcome_display()}"
