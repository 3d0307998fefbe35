"""What a first name or a surname may hold: the one rule for the profile, registration, the
admin's user form and the import of the old portal's users.

Names go into e-mails, SMS, PDF bills and the billing export, so a line break or a URL in a
surname is not harmless even though pages escape it. A Russian or foreign name holds letters
of any alphabet (with their combining accents), spaces, hyphens, apostrophes and dots:
«Анна-Мария», «Д'Артаньян», «O’Brien», «Jr.», «Нгуен Ван Ань».
"""

from itertools import pairwise
import unicodedata

from django.core.exceptions import ValidationError

NAME_MAX_LENGTH = 100
SEPARATORS = frozenset(" -'’ʼ.")
RULE = "Допустимы буквы любого алфавита, пробел, дефис, апостроф и точка."


class InvalidName(ValueError):
    """The name breaks the rule; the message says how, in Russian."""


def _is_letter(char: str) -> bool:
    return unicodedata.category(char)[0] == "L"


def normalize_name(value: str) -> str:
    """The name as stored (NFC, no outer spaces); raises InvalidName. An empty name is
    allowed: names are optional."""
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        return ""
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidName(f"Не длиннее {NAME_MAX_LENGTH} символов.")
    # Combining marks (category M) keep accents that have no precomposed letter.
    bad = [c for c in name if c not in SEPARATORS and unicodedata.category(c)[0] not in "LM"]
    if bad:
        shown = "перевод строки" if bad[0] in "\r\n" else f"«{bad[0]}»" if bad[0].isprintable() else "невидимый символ"
        raise InvalidName(f"Недопустимый символ: {shown}. {RULE}")
    if not _is_letter(name[0]):
        raise InvalidName(f"Начните с буквы. {RULE}")
    if any(c == "." and following not in " -" for c, following in pairwise(name)):
        # An abbreviation ends a word («Jr.», «А. С.»); a dot inside one makes a host name.
        raise InvalidName(f"Точка ставится только в конце сокращения: «Jr.», «А. С.». {RULE}")
    return name


def validate_name(value: str) -> None:
    """`normalize_name` as a Django validator, for model and form fields."""
    try:
        normalize_name(value)
    except InvalidName as error:
        raise ValidationError(str(error), code="invalid_name") from None
