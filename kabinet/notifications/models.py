from django.db import models
from django.utils import timezone

from kabinet.core.storage import dated_random_name, private_storage


def attachment_path(instance, filename: str) -> str:
    return dated_random_name("mail")


class Message(models.Model):
    """The delivery log: every SMS and e-mail the portal sends, and what became of it."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "E-mail"

    class Status(models.TextChoices):
        QUEUED = "queued", "В очереди"
        SENT = "sent", "Отправлено"
        FAILED = "failed", "Не доставлено"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    to = models.CharField("получатель", max_length=254, db_index=True)
    subject = models.CharField("тема", max_length=200, blank=True)
    body = models.TextField("текст")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    # When the next delivery attempt is due; a worker that takes the message moves it ahead
    # by a lease, so a message is never sent twice at once.
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Bodies holding a code or a one-time link are blanked once the message is done with.
    secret = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # An e-mail may carry one file (a bill). The log keeps its own copy in private storage,
    # so a retry or «Отправить повторно» sends exactly what was logged, whatever happens to
    # the document it came from.
    attachment = models.FileField(
        "вложение", storage=private_storage, upload_to=attachment_path, max_length=200, blank=True
    )
    attachment_name = models.CharField("имя вложения", max_length=150, blank=True)
    attachment_type = models.CharField("тип вложения", max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "сообщение"
        verbose_name_plural = "журнал сообщений"

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to}: {self.get_status_display()}"
