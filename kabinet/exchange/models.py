"""The journal of the exchange with billing: one ImportBatch per file loaded (or refused),
with the rows it refused. Written by kabinet.exchange.runner only; read-only in the admin."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Загружается"
        DONE = "done", "Загружен"
        FAILED = "failed", "Прервана ошибкой"
        REJECTED = "rejected", "Отклонён"
        DUPLICATE = "duplicate", "Уже был загружен"

    kind = models.CharField("вид файла", max_length=32)
    file_name = models.CharField("файл", max_length=255)
    checksum = models.CharField("SHA-256", max_length=64)
    dry_run = models.BooleanField("только проверка", default=False)
    status = models.CharField("состояние", max_length=10, choices=Status.choices, default=Status.RUNNING)
    rows_read = models.PositiveIntegerField("строк прочитано", default=0)
    rows_created = models.PositiveIntegerField("создано", default=0)
    rows_updated = models.PositiveIntegerField("обновлено", default=0)
    rows_unchanged = models.PositiveIntegerField("без изменений", default=0)
    rows_rejected = models.PositiveIntegerField("отклонено", default=0)
    started_at = models.DateTimeField("начало", default=timezone.now)
    finished_at = models.DateTimeField("конец", null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="загрузил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField("откуда запущено", max_length=100, help_text="Команда, задача или «администрирование»")
    message = models.TextField("итог", blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "запись журнала обмена"
        verbose_name_plural = "журнал обмена"
        indexes = [models.Index(fields=["kind", "checksum", "status"], name="exchange_batch_checksum")]
        permissions = [("run_import", "Может загружать файлы обмена")]

    def __str__(self) -> str:
        return f"№ {self.pk} {self.kind} {self.file_name}"


class RejectedRow(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rejected_rows")
    line = models.PositiveIntegerField("строка")
    reason = models.CharField("причина", max_length=500)
    raw = models.CharField("текст строки", max_length=500, blank=True)

    class Meta:
        ordering = ["batch", "line", "pk"]
        verbose_name = "отклонённая строка"
        verbose_name_plural = "отклонённые строки"

    def __str__(self) -> str:
        return f"строка {self.line}: {self.reason}"


class ExportBatch(models.Model):
    """One file written for billing (formats/readings-export.md, contacts-export.md, payments-export.md).
    Its final state is saved in the same transaction that marks the exported rows."""

    INCREMENTAL = "incremental"

    class Status(models.TextChoices):
        RUNNING = "running", "Выгружается"
        DONE = "done", "Выгружен"
        FAILED = "failed", "Прервана ошибкой"

    kind = models.CharField("вид файла", max_length=32)
    period = models.CharField(
        "период", max_length=12, help_text="Месяц YYYY-MM (повторная выгрузка) или incremental (всё новое)"
    )
    file_name = models.CharField("файл", max_length=255, blank=True)
    rows = models.PositiveIntegerField("строк", default=0)
    checksum = models.CharField("SHA-256", max_length=64, blank=True)
    status = models.CharField("состояние", max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField("начало", default=timezone.now)
    finished_at = models.DateTimeField("конец", null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="выгрузил",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField("откуда запущено", max_length=100, help_text="Команда, задача или «администрирование»")
    message = models.TextField("итог", blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "запись журнала выгрузок"
        verbose_name_plural = "журнал выгрузок"

    def __str__(self) -> str:
        return f"№ {self.pk} {self.kind} {self.period}"


class ExportedReading(models.Model):
    """A reading sent to billing by an incremental export: it is never sent incrementally again."""

    reading = models.OneToOneField("readings.Reading", on_delete=models.PROTECT, related_name="export")
    batch = models.ForeignKey(ExportBatch, on_delete=models.PROTECT, related_name="readings")

    class Meta:
        verbose_name = "выгруженное показание"
        verbose_name_plural = "выгруженные показания"

    def __str__(self) -> str:
        return f"показание {self.reading_id} в выгрузке № {self.batch_id}"


class ExportedDeliveryChange(models.Model):
    """A bill delivery change (billing.BillDeliveryChange) sent to billing by an incremental
    export of contacts: it is never sent incrementally again."""

    change = models.OneToOneField("billing.BillDeliveryChange", on_delete=models.PROTECT, related_name="export")
    batch = models.ForeignKey(ExportBatch, on_delete=models.PROTECT, related_name="delivery_changes")

    class Meta:
        verbose_name = "выгруженное изменение доставки квитанции"
        verbose_name_plural = "выгруженные изменения доставки квитанций"

    def __str__(self) -> str:
        return f"изменение {self.change_id} в выгрузке № {self.batch_id}"


class ExportedPayment(models.Model):
    """A payment or refund made in Kabinet — its ledger entry, billing.Payment — sent to billing
    by an incremental export of payments (formats/payments-export.md): never sent incrementally
    again."""

    payment = models.OneToOneField("billing.Payment", on_delete=models.PROTECT, related_name="export")
    batch = models.ForeignKey(ExportBatch, on_delete=models.PROTECT, related_name="payments")

    class Meta:
        verbose_name = "выгруженный онлайн-платёж"
        verbose_name_plural = "выгруженные онлайн-платежи"

    def __str__(self) -> str:
        return f"платёж {self.payment_id} в выгрузке № {self.batch_id}"


class BillingReading(models.Model):
    """Billing's id of a reading loaded by the kind `readings` (formats/readings.md): the same
    reading sent again is recognised and counted once; a reading is never changed by a file."""

    source_id = models.CharField("номер показания в биллинге", max_length=64, unique=True)
    reading = models.OneToOneField("readings.Reading", on_delete=models.PROTECT, related_name="billing")

    class Meta:
        verbose_name = "показание из биллинга"
        verbose_name_plural = "показания из биллинга"

    def __str__(self) -> str:
        return self.source_id
