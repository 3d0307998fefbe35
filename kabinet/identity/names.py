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


# Letters by category that show as nothing: a name of Hangul fillers («ㅤㅤ») looks blank.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
# Combining marks a name holds: accents and vowel signs (Mn, Mc), not enclosing circles (Me);
# two at most on a letter (Vietnamese «ệ», Thai «ดิ์»), not a tower of sixty.
MARKS = frozenset({"Mn", "Mc"})
MAX_MARKS = 2
MARK_RULE = "Диакритический знак (ударение, точки над буквой) ставится только после буквы, не больше двух"


def _is_letter(char: str) -> bool:
    return unicodedata.category(char)[0] == "L" and char not in BLANK_LETTERS


def _is_invisible(char: str) -> bool:
    # Variation selectors are Mn by category, but choose a glyph's look (an emoji's), never a sound.
    return char in BLANK_LETTERS or "VARIATION SELECTOR" in unicodedata.name(char, "") or not char.isprintable()


def _allowed(char: str) -> bool:
    if char in SEPARATORS:
        return True
    if _is_invisible(char):
        return False
    return _is_letter(char) or unicodedata.category(char) in MARKS


def _shown(char: str) -> str:
    if char in "\r\n":
        return "перевод строки"
    if _is_invisible(char):
        return "невидимый символ"
    # A combining sign is drawn on a dotted circle, as type specimens show it.
    return f"«\u25cc{char}»" if unicodedata.category(char)[0] == "M" else f"«{char}»"


def _marks_well_placed(name: str) -> bool:
    """Each run of combining marks follows a letter and is at most MAX_MARKS long."""
    run = 0
    for previous, char in pairwise(" " + name):
        if unicodedata.category(char) not in MARKS:
            run = 0
            continue
        if run == 0 and not _is_letter(previous):
            return False
        run += 1
        if run > MAX_MARKS:
            return False
    return True


def normalize_name(value: str) -> str:
    """The name as stored (NFC, no outer spaces); raises InvalidName. An empty name is
    allowed: names are optional."""
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        return ""
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidName(f"Не длиннее {NAME_MAX_LENGTH} символов.")
    # Combining marks keep accents that have no precomposed letter.
    bad = [c for c in name if not _allowed(c)]
    if bad:
        raise InvalidName(f"Недопустимый символ: {_shown(bad[0])}. {RULE}")
    if not _is_letter(name[0]):
        raise InvalidName(f"Начните с буквы. {RULE}")
    if not _marks_well_placed(name):
        raise InvalidName(f"{MARK_RULE}. {RULE}")
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
