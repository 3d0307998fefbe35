"""The one login field: an account number, a phone or an e-mail, recognised by its shape."""

from dataclasses import dataclass
from enum import Enum

from kabinet.identity.phones import InvalidPhone, looks_like_phone, normalize_phone


class Kind(Enum):
    EMAIL = "email"
    PHONE = "phone"
    ACCOUNT = "account"


@dataclass(frozen=True)
class Identifier:
    kind: Kind
    value: str


def parse_identifier(text: str) -> Identifier:
    """E-mail by «@», phone in the +7 / 8 / 7 forms, otherwise an account number.

    An 11-digit string of a valid Russian mobile number is a phone; regions' account numbers
    are not 11 digits long, so the two never collide (see docs/identifiers.md).
    """
    text = text.strip()
    if "@" in text:
        return Identifier(Kind.EMAIL, text.lower())
    if looks_like_phone(text):
        try:
            return Identifier(Kind.PHONE, normalize_phone(text))
        except InvalidPhone:
            pass
    return Identifier(Kind.ACCOUNT, "".join(text.split()))
