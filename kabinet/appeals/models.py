"""Appeals («обращения»): the taxonomy, the appeal with its conversation, files and history.

An appeal is legally equal to a visit to the office: nothing here is ever deleted by the
application, and every change leaves an Event.
"""

from datetime import date

from django.conf import settings
from django.db import models

from kabinet.appeals.calendar import today as local_today
from kabinet.appeals.storage import attachment_storage, random_name
from kabinet.billing.models import PersonalAccount, Region


class Topic(models.Model):
    """«Тема обращения», the first level of the taxonomy."""

    name = models.CharField("тема", max_length=150, unique=True)
    ordering = models.PositiveSmallIntegerField("порядок", default=100)
    is_active = models.BooleanField("доступна клиентам", default=True)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = "тема обращения"
        verbose_name_plural = "темы обращений"

    def __str__(self) -> str:
        return self.name


class Reason(models.Model):
    """«Причина обращения» within a topic: what documents help, and the answer deadline."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="reasons", verbose_name="тема")
    name = models.CharField("причина", max_length=200)
    documents_hint = models.TextField(
        "какие документы приложить", blank=True, help_text="Показывается клиенту, когда он выбирает эту причину"
    )
    answer_days = models.PositiveSmallIntegerField(
        "срок ответа, рабочих дней", default=10, help_text="Срок считается в рабочих днях со дня регистрации"
    )
    ordering = models.PositiveSmallIntegerField("порядок", default=100)
    is_active = models.BooleanField("доступна клиентам", default=True)

    class Meta:
        ordering = ["topic__ordering", "ordering", "name"]
        verbose_name = "причина обращения"
        verbose_name_plural = "причины обращений"
        constraints = [models.UniqueConstraint(fields=["topic", "name"], name="appeals_reason_unique_in_topic")]

    def __str__(self) -> str:
        return f"{self.topic.name} → {self.name}"


class Status(models.TextChoices):
    NEW = "new", "Новое"
    IN_PROGRESS = "in_progress", "В работе"
    WAITING = "waiting", "Ожидает ответа клиента"
    ANSWERED = "answered", "Дан ответ"
    CLOSED = "closed", "Закрыто"
    # Complaints only: the supplier has sent it on to the network company (it still owes the answer).
    FORWARDED = "forwarded", "Передано в сетевую организацию"


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING, Status.FORWARDED)


class AppealKind(models.TextChoices):
    APPEAL = "appeal", "Обращение"
    COMPLAINT = "complaint", "Жалоба на качество электроснабжения"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Телефон"
    EMAIL = "email", "E-mail"


class NumberCounter(models.Model):
    """The last registration number given in a region and year. Taken under a row lock in
    the transaction that creates the appeal, so numbers are unique and without gaps."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="appeals_counter_unique")]

    def __str__(self) -> str:
        return f"{self.region_id}-{self.year}: {self.last}"


class AppealQuerySet(models.QuerySet):
    def open(self) -> "AppealQuerySet":
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: date | None = None) -> "AppealQuerySet":
        """Open and past the deadline (see Appeal.overdue_on: the same rule, row by row)."""
        return self.open().filter(deadline__lt=today or local_today())


class Appeal(models.Model):
    number = models.CharField("регистрационный номер", max_length=32, unique=True)
    kind = models.CharField("вид", max_length=16, choices=AppealKind.choices, default=AppealKind.APPEAL)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="appeals", verbose_name="регион")
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appeals", verbose_name="клиент"
    )
    account = models.ForeignKey(
        PersonalAccount, on_delete=models.PROTECT, related_name="appeals", verbose_name="лицевой счёт"
    )
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="+", verbose_name="тема")
    reason = models.ForeignKey(Reason, on_delete=models.PROTECT, related_name="+", verbose_name="причина")
    text = models.TextField("текст обращения")
    contact_method = models.CharField("предпочтительный способ связи", max_length=8, choices=ContactMethod.choices)
    status = models.CharField("состояние", max_length=16, choices=Status.choices, default=Status.NEW, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_appeals",
        verbose_name="исполнитель",
    )
    created_at = models.DateTimeField("зарегистрировано", auto_now_add=True, db_index=True)
    deadline = models.DateField("срок ответа", db_index=True)
    answered_at = models.DateTimeField("дан ответ", null=True, blank=True)
    closed_at = models.DateTimeField("закрыто", null=True, blank=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "обращение"
        verbose_name_plural = "обращения"
        indexes = [models.Index(fields=["region", "status", "deadline"])]

    def __str__(self) -> str:
        return f"№ {self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue_on(self, today: date) -> bool:
        """Still open after its deadline day: the deadline day itself is in time, and an answered
        or closed appeal is never late. AppealQuerySet.overdue is this rule in SQL."""
        return self.is_open and self.deadline < today

    @property
    def is_overdue(self) -> bool:
        return self.overdue_on(local_today())


class Message(models.Model):
    """The conversation: the customer's messages, replies to the customer, internal notes."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Сообщение клиента"
        REPLY = "reply", "Ответ клиенту"
        NOTE = "note", "Внутренняя заметка"

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "сообщение по обращению"
        verbose_name_plural = "сообщения по обращениям"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%d.%m.%Y %H:%M}"


class Attachment(models.Model):
    """A document attached to an appeal (at creation or to a message). Stored under a random
    name in private storage; `name` is only ever shown and offered as the download name."""

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(storage=attachment_storage, upload_to=random_name, max_length=200)
    name = models.CharField("имя файла", max_length=150)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "вложение"
        verbose_name_plural = "вложения"

    def __str__(self) -> str:
        return self.name


class Upload(models.Model):
    """A file a customer or operator has sent with a form that is not submitted yet: kept
    across a form error so nothing attached is lost, then moved into an Attachment."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(storage=attachment_storage, upload_to=random_name, max_length=200)
    name = models.CharField(max_length=150)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """The appeal's history: who did what and when. Customers see the public kinds."""

    class Kind(models.TextChoices):
        CREATED = "created", "Обращение зарегистрировано"
        STATUS = "status", "Изменено состояние"
        ASSIGNED = "assigned", "Назначен исполнитель"
        CUSTOMER_MESSAGE = "customer_message", "Сообщение клиента"
        REPLY = "reply", "Ответ клиенту"
        NOTE = "note", "Внутренняя заметка"
        FILE_READ = "file_read", "Открыт файл"
        # An employee was shown a complaint's decrypted document data on its page.
        PD_READ = "pd_read", "Просмотрены данные жалобы"
        # A complaint answered «письмом по почте»: the operator owes the letter, then records it.
        LETTER_DUE = "letter_due", "Нужно отправить ответ письмом"
        LETTER_SENT = "letter_sent", "Ответ отправлен письмом"

    PUBLIC = (Kind.CREATED, Kind.STATUS, Kind.CUSTOMER_MESSAGE, Kind.REPLY, Kind.LETTER_SENT)

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "событие обращения"
        verbose_name_plural = "история обращений"
        indexes = [models.Index(fields=["appeal", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%d.%m.%Y %H:%M}"


class StaffRole(models.Model):
    """A back-office employee: their role and the regions whose appeals they handle."""

    class Role(models.TextChoices):
        OPERATOR = "operator", "Оператор"
        SUPERVISOR = "supervisor", "Руководитель группы"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_role", verbose_name="сотрудник"
    )
    role = models.CharField("роль", max_length=16, choices=Role.choices, default=Role.OPERATOR)
    regions = models.ManyToManyField(Region, related_name="+", verbose_name="регионы")

    class Meta:
        verbose_name = "сотрудник бэк-офиса"
        verbose_name_plural = "сотрудники бэк-офиса"

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_supervisor(self) -> bool:
        return self.role == self.Role.SUPERVISOR


# Models kept in their own modules, imported here so that Django registers them with the app.
from kabinet.appeals.complaints_models import QualityComplaint  # noqa: E402, F401
from kabinet.appeals.ratings_models import AnswerRating, RatingLink  # noqa: E402, F401
