import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from kabinet.core.storage import dated_random_name, private_storage

NBSP = "\u00a0"
# «ул. Малышева», «пр-т Ленина», «пер. Банковский»: a short abbreviation ending in a full stop.
_ABBREVIATION = re.compile(r"(?<!\w)(\w{1,4}\.) ")


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
    # Meter readings are accepted on these days of the month (the Sverdlovsk branch: up to
    # the 25th; others use windows such as 15th–25th).
    readings_from_day = models.PositiveSmallIntegerField("показания принимаются с (число)", default=15)
    readings_to_day = models.PositiveSmallIntegerField("показания принимаются по (число)", default=25)
    payment_due_day = models.PositiveSmallIntegerField(
        "оплатить до (число следующего месяца)", default=10, help_text="Срок оплаты начислений за месяц"
    )
    # The payee on bills and in the payment QR code (ГОСТ Р 56042-2014).
    payee_name = models.CharField("получатель платежа", max_length=160, blank=True)
    payee_inn = models.CharField("ИНН получателя", max_length=12, blank=True)
    payee_kpp = models.CharField("КПП получателя", max_length=9, blank=True)
    bank_name = models.CharField("банк получателя", max_length=100, blank=True)
    bank_bic = models.CharField("БИК", max_length=9, blank=True)
    bank_corr_account = models.CharField("корр. счёт", max_length=20, blank=True)
    bank_account = models.CharField("расчётный счёт", max_length=20, blank=True)
    company_address = models.CharField("адрес филиала", max_length=250, blank=True)
    # Months up to this one (its first day) are closed in billing: the accruals import refuses them.
    closed_through = models.DateField(
        "начисления закрыты по (месяц)",
        null=True,
        blank=True,
        help_text="Первое число последнего закрытого в биллинге месяца; начисления за него и раньше не загружаются",
    )

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

    # db_index=False: the unique address index starts with the region (a second index only
    # slows a branch's import down).
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="premises", db_index=False)
    city = models.CharField("населённый пункт", max_length=100)
    street = models.CharField("улица", max_length=150)
    house = models.CharField("дом", max_length=20)
    flat = models.CharField("квартира", max_length=20, blank=True)

    class Meta:
        verbose_name = "объект"
        verbose_name_plural = "объекты"
        indexes = [models.Index(fields=["region", "street", "house"])]
        # Imports find premises by region and full address (formats/accounts.md).
        constraints = [
            models.UniqueConstraint(
                fields=["region", "city", "street", "house", "flat"], name="billing_premises_unique_address"
            )
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        """«г. Екатеринбург, ул. Малышева, д. 12а, кв. 5», each abbreviation joined to what follows
        it by a non-breaking space, so a line never ends with «г.» or «д.»."""
        parts = [f"г.{NBSP}{self.city}", _ABBREVIATION.sub(f"\\1{NBSP}", self.street), f"д.{NBSP}{self.house}"]
        if self.flat:
            parts.append(f"кв.{NBSP}{self.flat}")
        return ", ".join(parts)


class PersonalAccount(models.Model):
    """A billing account printed on the bill («лицевой счёт»)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Действующий"
        CLOSED = "closed", "Закрыт"

    # db_index=False: the unique (region, number) index serves the region too.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="accounts", db_index=False)
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


class Service(models.Model):
    """A billed utility service: электроснабжение, отопление, горячее водоснабжение…"""

    code = models.SlugField("код", max_length=32, unique=True)
    name = models.CharField("услуга", max_length=100)
    unit = models.CharField("единица", max_length=16, help_text="кВт·ч, Гкал, м³")
    ordering = models.PositiveSmallIntegerField("порядок", default=100)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = "услуга"
        verbose_name_plural = "услуги"

    def __str__(self) -> str:
        return self.name


class Tariff(models.Model):
    """The price of a service in a region from a date: one rate, or one per zone of a
    two- or three-zone electricity meter (T1 peak/day, T2 night, T3 semi-peak)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="tariffs")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="tariffs")
    zones = models.PositiveSmallIntegerField("зон", choices=[(1, "одноставочный"), (2, "день/ночь"), (3, "три зоны")])
    valid_from = models.DateField("действует с")
    rate_t1 = models.DecimalField("тариф Т1 (или единый), ₽", max_digits=10, decimal_places=4)
    rate_t2 = models.DecimalField("тариф Т2, ₽", max_digits=10, decimal_places=4, null=True, blank=True)
    rate_t3 = models.DecimalField("тариф Т3, ₽", max_digits=10, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["region", "service", "zones", "-valid_from"]
        verbose_name = "тариф"
        verbose_name_plural = "тарифы"
        constraints = [
            models.UniqueConstraint(fields=["region", "service", "zones", "valid_from"], name="billing_tariff_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service} ({self.get_zones_display()}) с {self.valid_from:%d.%m.%Y}"


class Accrual(models.Model):
    """What an account was charged for a service in a month, with any recalculation."""

    # db_index=False: the unique (account, period, service, zone) index serves the account too.
    account = models.ForeignKey(PersonalAccount, on_delete=models.PROTECT, related_name="accruals", db_index=False)
    period = models.DateField("месяц", help_text="Первое число месяца")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    zone = models.CharField("зона", max_length=4, blank=True, help_text="Т1, Т2, Т3 или пусто")
    volume = models.DecimalField("объём", max_digits=12, decimal_places=3)
    tariff = models.DecimalField("тариф, ₽", max_digits=10, decimal_places=4)
    amount = models.DecimalField("начислено, ₽", max_digits=12, decimal_places=2)
    recalculation = models.DecimalField("перерасчёт, ₽", max_digits=12, decimal_places=2, default=0)
    recalculation_reason = models.CharField("основание перерасчёта", max_length=250, blank=True)

    class Meta:
        ordering = ["period", "service__ordering", "zone"]
        verbose_name = "начисление"
        verbose_name_plural = "начисления"
        constraints = [
            models.UniqueConstraint(fields=["account", "period", "service", "zone"], name="billing_accrual_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.period:%m.%Y} {self.service}: {self.amount}"

    @property
    def total(self):
        return self.amount + self.recalculation


class Payment(models.Model):
    class Channel(models.TextChoices):
        BANK = "bank", "Банк"
        ONLINE = "online", "Онлайн: СБП или карта"  # written in brackets after a payment
        POST = "post", "Почта России"
        OFFICE = "office", "Касса офиса"

    # db_index=False: the (account, paid_on) index serves the account too.
    account = models.ForeignKey(PersonalAccount, on_delete=models.PROTECT, related_name="payments", db_index=False)
    paid_on = models.DateField("дата платежа", db_index=True)
    amount = models.DecimalField("сумма, ₽", max_digits=12, decimal_places=2)
    channel = models.CharField("способ", max_length=8, choices=Channel.choices)
    # The payment's id in the channel's own records (bank, post…), from the billing exchange
    # (formats/payments.md): a payment that arrives twice is recorded once. NULL for payments
    # entered otherwise (the demo), which the unique constraint does not compare.
    source_id = models.CharField("номер платежа в источнике", max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["paid_on", "pk"]
        verbose_name = "платёж"
        verbose_name_plural = "платежи"
        indexes = [models.Index(fields=["account", "paid_on"])]
        constraints = [
            models.UniqueConstraint(fields=["channel", "source_id"], name="billing_payment_unique_source_id")
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.paid_on:%d.%m.%Y}: {self.amount}"


class MonthBalance(models.Model):
    """The account's balance at the start and end of a month: positive is debt («к оплате»),
    negative is overpayment. closing = opening + accrued (with recalculations) − paid."""

    # db_index=False: the unique (account, period) index serves the account too.
    account = models.ForeignKey(PersonalAccount, on_delete=models.PROTECT, related_name="balances", db_index=False)
    period = models.DateField("месяц")
    opening = models.DecimalField("на начало месяца, ₽", max_digits=12, decimal_places=2)
    accrued = models.DecimalField("начислено, ₽", max_digits=12, decimal_places=2)
    paid = models.DecimalField("оплачено, ₽", max_digits=12, decimal_places=2)
    closing = models.DecimalField("на конец месяца, ₽", max_digits=12, decimal_places=2)

    class Source(models.TextChoices):
        KABINET = "kabinet", "расчёт Кабинета"
        BILLING = "billing", "биллинг"

    # Who computed the month: Kabinet from accruals and payments (billing.balances, rebuilt
    # freely), or the billing system (exchange kind `balances`), which a rebuild never changes.
    # db_default: bulk loads by plain INSERT (readings.demo) are Kabinet's months too.
    source = models.CharField(
        "источник", max_length=16, choices=Source.choices, default=Source.KABINET, db_default=Source.KABINET
    )

    class Meta:
        ordering = ["period"]
        verbose_name = "сальдо за месяц"
        verbose_name_plural = "сальдо по месяцам"
        constraints = [models.UniqueConstraint(fields=["account", "period"], name="billing_balance_unique")]

    def __str__(self) -> str:
        return f"{self.account.number} {self.period:%m.%Y}: {self.closing}"


def bill_path(instance, filename: str) -> str:
    return dated_random_name("bills", ".pdf")


class Bill(models.Model):
    """The generated PDF of an account's monthly bill («квитанция»), in private storage.
    One per account and month: the job regenerates it when what it says has changed."""

    account = models.ForeignKey(PersonalAccount, on_delete=models.PROTECT, related_name="bills")
    period = models.DateField("месяц", help_text="Первое число месяца")
    pdf = models.FileField("PDF", storage=private_storage, upload_to=bill_path, max_length=200)
    amount = models.DecimalField("к оплате, ₽", max_digits=12, decimal_places=2)
    # sha256 of everything printed on the bill: unchanged data, no new PDF.
    fingerprint = models.CharField(max_length=64)
    generated_at = models.DateTimeField("сформирована")
    # «Электронная квитанция»: when this month's bill went out by e-mail (never twice).
    emailed_at = models.DateTimeField("отправлена по e-mail", null=True, blank=True)
    email_message = models.ForeignKey(
        "notifications.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["account", "-period"]
        verbose_name = "квитанция"
        verbose_name_plural = "квитанции"
        constraints = [models.UniqueConstraint(fields=["account", "period"], name="billing_bill_unique")]

    def __str__(self) -> str:
        return f"{self.account.number} {self.period:%m.%Y}"


class BillSubscription(models.Model):
    """«Электронная квитанция»: the account's bill goes to its holder's e-mail instead of paper."""

    account = models.OneToOneField(PersonalAccount, on_delete=models.CASCADE, related_name="bill_subscription")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bill_subscriptions")
    created_at = models.DateTimeField("подключена", auto_now_add=True)

    class Meta:
        verbose_name = "электронная квитанция"
        verbose_name_plural = "электронные квитанции"

    def __str__(self) -> str:
        return f"{self.account.number} → {self.user}"


class BillDeliveryChange(models.Model):
    """One change of how an account's bill is delivered, written by the service that made it
    (billing.bill_delivery) in the same transaction: what billing is told by the export of
    contacts (formats/contacts-export.md). Each row is the account's whole delivery after the
    change, so the latest row of an account is its current state. Only what billing needs to
    deliver the bill: no name, phone or user — the e-mail is the one the bill is sent to."""

    class Delivery(models.TextChoices):
        PAPER = "paper", "на бумаге"
        EMAIL = "email", "электронная квитанция"

    class Event(models.TextChoices):
        SUBSCRIBED = "subscribed", "клиент подключил электронную квитанцию"
        UNSUBSCRIBED = "unsubscribed", "клиент отключил электронную квитанцию"
        EMAIL_CHANGED = "email_changed", "клиент сменил e-mail"
        ACCOUNT_REMOVED = "account_removed", "лицевой счёт убран из кабинета"
        USER_BLOCKED = "user_blocked", "учётная запись клиента заблокирована"

    account = models.ForeignKey(PersonalAccount, on_delete=models.PROTECT, related_name="delivery_changes")
    delivery = models.CharField("доставка квитанции", max_length=5, choices=Delivery.choices)
    email = models.EmailField("e-mail для квитанции", blank=True, help_text="Пусто, когда квитанция на бумаге")
    event = models.CharField("что произошло", max_length=16, choices=Event.choices)
    changed_at = models.DateTimeField("когда", default=timezone.now, db_index=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "изменение доставки квитанции"
        verbose_name_plural = "изменения доставки квитанций"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(delivery="email", email__gt="") | models.Q(delivery="paper", email=""),
                name="billing_delivery_change_email_iff_electronic",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account.number}: {self.get_delivery_display()}"
