"""«Оцените ответ»: the customer's score of an answer, and the one-click links that ask for it.

The rules are kabinet.appeals.ratings; these are only the rows. A link is issued with every
answer; only the SHA-256 of its token is stored.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from kabinet.appeals.models import Appeal, Message


class RatingLink(models.Model):
    """The token sent with one answer. The five links in the e-mail (and the one in the SMS)
    carry the same token; it records one score, once, within KABINET_RATING_LINK_DAYS."""

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="rating_links")
    answer = models.OneToOneField(Message, on_delete=models.PROTECT, related_name="rating_link")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "ссылка для оценки"
        verbose_name_plural = "ссылки для оценки"

    def __str__(self) -> str:
        return f"{self.appeal} · {self.created_at:%d.%m.%Y}"


class AnswerRating(models.Model):
    """One score for one answer, changed in place while the appeal is not closed."""

    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="ratings", verbose_name="обращение")
    answer = models.OneToOneField(
        Message, on_delete=models.PROTECT, related_name="rating", verbose_name="оценённый ответ"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="ответил"
    )
    score = models.PositiveSmallIntegerField("оценка", validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField("комментарий", blank=True)
    created_at = models.DateTimeField("оценено", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("изменено", auto_now=True)
    # Set once, when a low score first told the region's supervisors: changing 1 to 2 (or back
    # and forth) must not alert them again.
    alerted_at = models.DateTimeField("руководитель извещён", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "оценка ответа"
        verbose_name_plural = "оценки ответов"
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="appeals_rating_score_1_5")
        ]

    def __str__(self) -> str:
        return f"{self.appeal}: {self.score}"
