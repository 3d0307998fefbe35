"""The complaint's fields as label and text, in the order of ПП № 55: its page, the back
office and the PDF show the same list."""

import logging
import re

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from kabinet.appeals.complaints_models import DocumentType, QualityComplaint
from kabinet.appeals.models import ContactMethod

# «г. Екатеринбург», «д. 12а»: an abbreviation stays on the line of what it names, as in
# billing's own addresses; the customer typed ordinary spaces.
_ABBREVIATION = re.compile(r"(?<!\w)(г|ул|пр|пр-т|пер|д|корп|стр|кв|обл|р-н|пос|с)\. +")


def display_address(text: str) -> str:
    return _ABBREVIATION.sub("\\1.\u00a0", text)


log = logging.getLogger(__name__)

WIPED = "удалено по истечении срока хранения"
# Staff can get the key put back; the customer can only wait for it.
KEY_LOST = "Данные документа недоступны: ключ шифрования не найден. Обратитесь к администратору."
KEY_LOST_CUSTOMER = "Данные документа временно недоступны."
CUSTOMER, STAFF = "customer", "staff"


def _moment(value) -> str:
    return f"{timezone.localtime(value):%d.%m.%Y %H:%M}" if value else "—"


def readable_identity(complaint: QualityComplaint) -> dict | None:
    """The decrypted document and birth data ({} once wiped), or None when no key of
    KABINET_PD_KEYS opens them (a key dropped before `rotate_pd_keys` ran, or lost). Then the
    page and the PDF still serve everything else (answering, forwarding, rating), and one
    error line names the complaint: never the token, which is the personal data encrypted."""
    try:
        return complaint.identity_data()
    except ImproperlyConfigured:
        log.error("complaint %s: no key in KABINET_PD_KEYS opens its identity data", complaint.appeal.number)
        return None


def answer_way(complaint: QualityComplaint) -> str:
    if complaint.answer_by_letter:
        return "Письмом по почте"
    return "E-mail" if complaint.appeal.contact_method == ContactMethod.EMAIL else "SMS на телефон"


@sensitive_variables("identity")
def complaint_rows(complaint: QualityComplaint, viewer: str = CUSTOMER) -> list[tuple[str, str]]:
    """Every field, in the order of the rules, as label and text (the page and the PDF), for
    the complaint's customer or its region's staff (`viewer`)."""
    return rows_of(complaint, readable_identity(complaint), viewer)


# A crash while building the rows must not put the decrypted document in the error report.
@sensitive_variables("identity", "birth", "birth_place", "document", "series_number")
def rows_of(complaint: QualityComplaint, identity: dict | None, viewer: str) -> list[tuple[str, str]]:
    """complaint_rows with the identity data already read (readable_identity)."""
    appeal = complaint.appeal
    if identity is None:
        document = birth = series_number = birth_place = KEY_LOST if viewer == STAFF else KEY_LOST_CUSTOMER
    elif identity:
        document = DocumentType(identity["document_type"]).label
        birth = f"{identity['birth_date'][8:10]}.{identity['birth_date'][5:7]}.{identity['birth_date'][:4]}"
        series_number = f"{identity['document_series']} {identity['document_number']}".strip()
        birth_place = identity["birth_place"]
    else:
        document = birth = series_number = birth_place = WIPED
    end = "продолжается" if complaint.is_ongoing else _moment(complaint.violation_end)
    method = answer_way(complaint)
    return [
        ("Регистрационный номер", appeal.number),
        ("Дата и время регистрации", f"{timezone.localtime(appeal.created_at):%d.%m.%Y %H:%M:%S}"),
        ("Фамилия, имя, отчество", complaint.full_name),
        ("Место жительства", display_address(complaint.residence)),
        ("Дата рождения", birth),
        ("Место рождения", birth_place),
        ("Документ, удостоверяющий личность", document),
        ("Серия и номер документа", series_number),
        ("Наименование организации", complaint.organization or "—"),
        ("Номер договора (лицевой счёт)", appeal.account.number),
        ("Адрес помещения", display_address(complaint.premises_address)),
        ("Начало нарушения", _moment(complaint.violation_start)),
        ("Конец нарушения", end),
        ("Телефон", complaint.phone),
        ("E-mail", complaint.email or "—"),
        ("Требования потребителя", appeal.text),
        ("Предпочтительный способ получения ответа", method),
        ("Вложения", ", ".join(a.name for a in appeal.attachments.filter(message__isnull=True)) or "нет"),
        ("Срок ответа", f"до {appeal.deadline:%d.%m.%Y}"),
    ]
