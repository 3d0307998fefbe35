"""Online payments by bank card or СБП through the acquirer, their refunds and the journal of
every state change (docs/payments.md). States change only in `payments.states`."""

import uuid

from django.conf import settings
from django.db import models

from kabinet.billing.models import Payment, PersonalAccount

# Why a payment failed, by ЮKassa's cancellation_details.reason, and what the customer can do.
_FAILURES = {
    "3d_secure_failed": "Не пройдена проверка 3-D Secure. Попробуйте ещё раз или оплатите другой картой.",
    "call_issuer": "Банк отклонил платёж. Позвоните в банк, выпустивший карту, или оплатите другой картой.",
    "card_expired": "Срок действия карты истёк. Оплатите другой картой.",
    "country_forbidden": "Банк не принимает платежи из этой страны. Оплатите другой картой.",
    "expired_on_confirmation": "Платёж не подтвердили вовремя. Попробуйте оплатить ещё раз.",
    "fraud_suspected": "Банк заподозрил мошенничество. Позвоните в банк или оплатите другой картой.",
    "general_decline": "Банк отклонил платёж. Позвоните в банк или оплатите другим способом.",
    "insufficient_funds": "Недостаточно денег для оплаты. Пополните счёт или оплатите другой картой.",
    "invalid_card_number": "Неправильный номер карты. Попробуйте ещё раз.",
    "invalid_csc": "Неправильный код CVV2 (CVC2). Попробуйте ещё раз.",
    "issuer_unavailable": "Банк временно недоступен. Попробуйте оплатить позже.",
    "payment_method_limit_exceeded": "Превышен лимит платежей банка. Оплатите другой картой или позже.",
    "payment_method_restricted": "Операции по карте запрещены. Позвоните в банк или оплатите другой картой.",
    "permission_revoked": "Разрешение на списание без подтверждения отозвано. Оплатите вручную.",
    "canceled_by_merchant": "Платёж отменён. Попробуйте оплатить ещё раз.",
    "kabinet_unavailable": "Оплата временно недоступна. Попробуйте позже.",
}
_FAILURE = "Платёж не прошёл. Попробуйте оплатить ещё раз или выберите другой способ оплаты."


class OnlinePayment(models.Model):
    class Method(models.TextChoices):
        BANK_CARD = "bank_card", "Банковская карта"
        SBP = "sbp", "СБП"

    class Status(models.TextChoices):
        NEW = "new", "создан"
        PENDING = "pending", "в обработке"
        WAITING_FOR_CAPTURE = "waiting_for_capture", "ожидает списания"
        SUCCEEDED = "succeeded", "оплачен"
        CANCELED = "canceled", "отменён"

    FINAL = frozenset({Status.SUCCEEDED, Status.CANCELED})
    OPEN = frozenset({Status.NEW, Status.PENDING, Status.WAITING_FOR_CAPTURE})

    # In every URL and the Idempotence-Key of its creation at the acquirer: never the row id.
    public_id = models.UUIDField("номер", default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="online_payments", verbose_name="лицевой счёт"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="online_payments",
        verbose_name="пользователь",
    )
    amount = models.DecimalField("сумма, ₽", max_digits=12, decimal_places=2)
    method = models.CharField("способ", max_length=16, choices=Method.choices)
    status = models.CharField("статус", max_length=24, choices=Status.choices, default=Status.NEW, db_index=True)
    acquirer_id = models.CharField("номер в ЮKassa", max_length=64, unique=True, null=True, blank=True)
    confirmation_url = models.CharField("адрес подтверждения", max_length=2000, blank=True)
    receipt_email = models.EmailField("e-mail для чека", blank=True)
    receipt_phone = models.CharField("телефон для чека", max_length=16, blank=True)
    cancellation_party = models.CharField("кто отменил", max_length=32, blank=True)
    cancellation_reason = models.CharField("причина отмены", max_length=64, blank=True)
    created_at = models.DateTimeField("создан", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("изменён", auto_now=True)
    paid_at = models.DateTimeField("оплачен", null=True, blank=True)
    # SET_NULL: an import that replaces billing's payments must never fail on this link.
    ledger_entry = models.OneToOneField(
        Payment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="online_payment",
        verbose_name="платёж в начислениях",
    )
    # The exact body of the creation request: sent again under the same Idempotence-Key until
    # ЮKassa answers (ЮKassa refuses the key with another body). Not shown: for a saved card it
    # holds the key to charge it.
    create_request = models.JSONField("запрос на создание", default=dict, blank=True, editable=False)
    # Something a person must check against ЮKassa's dashboard (PaymentEvent says what).
    reconcile = models.BooleanField("сверить вручную", default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "онлайн-платёж"
        verbose_name_plural = "онлайн-платежи"
        indexes = [
            models.Index(fields=["account", "created_at"]),
            # The periodic task's and the pages' «not finished yet»: a handful among millions.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status__in=["new", "pending", "waiting_for_capture"]),
                name="payments_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.amount} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL

    @property
    def in_progress(self) -> bool:
        return self.status in self.OPEN

    @property
    def failure_message(self) -> str:
        """Why a cancelled payment failed and what to do, in the customer's words; "" otherwise."""
        if self.status != self.Status.CANCELED:
            return ""
        return _FAILURES.get(self.cancellation_reason, _FAILURE)


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "в обработке"
        SUCCEEDED = "succeeded", "выполнен"
        CANCELED = "canceled", "отклонён"

    FINAL = frozenset({Status.SUCCEEDED, Status.CANCELED})

    public_id = models.UUIDField("номер", default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(OnlinePayment, on_delete=models.PROTECT, related_name="refunds", verbose_name="платёж")
    amount = models.DecimalField("сумма, ₽", max_digits=12, decimal_places=2)
    reason = models.TextField("причина")
    status = models.CharField("статус", max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    acquirer_id = models.CharField("номер в ЮKassa", max_length=64, unique=True, null=True, blank=True)
    cancellation_reason = models.CharField("причина отказа", max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requested_refunds",
        verbose_name="кто оформил",
    )
    created_at = models.DateTimeField("создан", auto_now_add=True)
    updated_at = models.DateTimeField("изменён", auto_now=True)
    # A negative payment in the account's history once the money went back.
    ledger_entry = models.OneToOneField(
        Payment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="online_refund",
        verbose_name="платёж в начислениях",
    )
    # Never reached ЮKassa while its Idempotence-Key lived (24 h): a person must check the
    # dashboard before anything is sent again (PaymentEvent says what).
    reconcile = models.BooleanField("сверить вручную", default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "возврат"
        verbose_name_plural = "возвраты"

    def __str__(self) -> str:
        return f"возврат {self.amount} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class PaymentEvent(models.Model):
    """One state change of a payment or of one of its refunds: the payments' audit trail."""

    class Source(models.TextChoices):
        CUSTOMER = "customer", "клиент"
        NOTIFICATION = "notification", "уведомление ЮKassa"
        CHECK = "check", "запрос статуса"
        TASK = "task", "периодическая проверка"
        STAFF = "staff", "сотрудник"
        AUTOPAYMENT = "autopayment", "автоплатёж"

    payment = models.ForeignKey(OnlinePayment, on_delete=models.CASCADE, related_name="events", verbose_name="платёж")
    refund = models.ForeignKey(
        Refund, on_delete=models.CASCADE, null=True, blank=True, related_name="events", verbose_name="возврат"
    )
    at = models.DateTimeField("когда", auto_now_add=True)
    old_status = models.CharField("был", max_length=24, blank=True)
    new_status = models.CharField("стал", max_length=24)
    source = models.CharField("источник", max_length=16, choices=Source.choices)
    details = models.JSONField("подробности", default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "событие платежа"
        verbose_name_plural = "события платежей"

    def __str__(self) -> str:
        return f"{self.old_status or '—'} → {self.new_status}"


class DemoCharge(models.Model):
    """The demo acquirer's side of a payment or refund (payments.demo), kept in the database
    so that a restart of `make run` loses nothing. Never used with a real acquirer."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "платёж"
        REFUND = "refund", "возврат"

    id = models.CharField(primary_key=True, max_length=36)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    idempotence_key = models.CharField(max_length=64)
    request = models.JSONField(default=dict)
    object = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "тестовая операция"
        verbose_name_plural = "тестовые операции"
        constraints = [
            models.UniqueConstraint(fields=["kind", "idempotence_key"], name="payments_democharge_unique_key")
        ]

    def __str__(self) -> str:
        return self.id


from kabinet.payments.autopay_models import AutoCharge, AutoPayment  # noqa: E402, F401 (the autopayment rows)
