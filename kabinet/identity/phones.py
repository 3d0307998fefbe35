"""Russian mobile numbers as people type them: +7 (912) 345-67-89, 8 912 345 67 89, 79123456789."""

import re

import phonenumbers

_ALLOWED = re.compile(r"^\+?[\d\s()\-.]{10,20}$")


class InvalidPhone(ValueError):
    pass


def looks_like_phone(text: str) -> bool:
    """True for the +7 / 8 / 7 forms with any spaces, brackets and dashes (11 digits)."""
    text = text.strip()
    if not _ALLOWED.match(text):
        return False
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        return len(digits) == 11 and digits.startswith("7")
    return len(digits) == 11 and digits[0] in "78"


def normalize_phone(text: str) -> str:
    """E.164 form, «+79123456789»; raises InvalidPhone for anything else."""
    text = text.strip()
    if not looks_like_phone(text):
        raise InvalidPhone(text)
    digits = re.sub(r"\D", "", text)
    try:
        parsed = phonenumbers.parse("+7" + digits[1:], "RU")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(text) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(text)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


NBSP = "\u00a0"


def display_phone(e164: str) -> str:
    """«+7 912 345-67-89» for pages and SMS, its groups joined by non-breaking spaces: a line
    never ends inside a number (a line break is allowed after a hyphen only before a letter,
    so «345-67-89» stays whole)."""
    try:
        parsed = phonenumbers.parse(e164, "RU")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL).replace(" ", NBSP)


def mask_phone(e164: str) -> str:
    """«+7 912 ***-**-89»: enough for the owner to recognise, too little for anyone else (its
    spaces non-breaking, as display_phone's; a page keeps its hyphens whole with `nowrap`)."""
    shown = display_phone(e164)
    return shown[:-9] + "***-**-" + shown[-2:] if len(shown) > 9 else shown
