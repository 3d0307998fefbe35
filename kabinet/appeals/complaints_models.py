"""A complaint about the quality or reliability of supply (ПП № 442 as amended by ПП № 55 of
24.01.2024): an Appeal of kind «complaint» plus the fields the rules require.

The identity document and the birth date and place are one encrypted value (`identity`,
kabinet.core.pd_crypto): never in clear in the database, a dump or a backup, wiped after the
retention period (`identity_wiped_at`) while the complaint itself stays."""

from django.db import models
from django.views.decorators.debug import sensitive_variables

from kabinet.appeals.models import Appeal
from kabinet.core import pd_crypto


class DocumentType(models.TextChoices):
    PASSPORT_RF = "passport_rf", "Паспорт гражданина РФ"
    FOREIGN_PASSPORT = "foreign", "Паспорт иностранного гражданина"
    OTHER = "other", "Другой документ, удостоверяющий личность"


class QualityComplaint(models.Model):
    appeal = models.OneToOneField(Appeal, on_delete=models.PROTECT, related_name="complaint")
    full_name = models.CharField("ФИО", max_length=200)
    residence = models.CharField("место жительства", max_length=300)
    # Encrypted JSON: birth_date (ISO), birth_place, document_type, document_series, document_number.
    identity = models.TextField(blank=True, editable=False)
    identity_wiped_at = models.DateTimeField("персональные данные удалены", null=True, blank=True)
    organization = models.CharField("наименование организации", max_length=300, blank=True)
    premises_address = models.CharField("адрес помещения", max_length=300)
    violation_start = models.DateTimeField("начало нарушения")
    violation_end = models.DateTimeField("конец нарушения", null=True, blank=True)
    phone = models.CharField("телефон", max_length=16)
    email = models.EmailField("e-mail", blank=True)
    # The answer «письмом по почте» (to the place of residence): the messages about the
    # complaint go by SMS meanwhile; the letter is the operator's, recorded when sent.
    answer_by_letter = models.BooleanField("ответ письмом по почте", default=False)
    letter_sent_at = models.DateTimeField("ответ отправлен письмом", null=True, blank=True)
    forwarded_on = models.DateField("передано в сетевую организацию", null=True, blank=True)
    network_company = models.CharField("сетевая организация", max_length=200, blank=True)
    network_reference = models.CharField("номер в сетевой организации", max_length=100, blank=True)

    class Meta:
        verbose_name = "жалоба на качество электроснабжения"
        verbose_name_plural = "жалобы на качество электроснабжения"

    def __str__(self) -> str:
        return f"Жалоба № {self.appeal.number}"

    @property
    def is_ongoing(self) -> bool:
        return self.violation_end is None

    def identity_data(self) -> dict:
        """The decrypted document and birth data; {} once wiped."""
        return pd_crypto.decrypt(self.identity)

    @sensitive_variables("data")
    def set_identity(self, data: dict) -> None:
        self.identity = pd_crypto.encrypt(data)
