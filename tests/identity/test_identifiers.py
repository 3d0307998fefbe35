"""The one login field recognises e-mail, phone and account number by their shape (G3)."""

import pytest

from kabinet.identity.identifiers import Kind, parse_identifier
from kabinet.identity.phones import InvalidPhone, display_phone, looks_like_phone, mask_phone, normalize_phone


@pytest.mark.parametrize(
    "text",
    [
        "+79123456789",
        "+7 912 345-67-89",
        "+7 (912) 345-67-89",
        "89123456789",
        "8 (912) 345 67 89",
        "79123456789",
        "8-912-345-67-89",
        "  8 912 3456789 ",
        "+7.912.345.67.89",
    ],
)
def test_phone_forms(text):
    identifier = parse_identifier(text)
    assert (identifier.kind, identifier.value) == (Kind.PHONE, "+79123456789")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Anna@Example.RU", "anna@example.ru"), (" anna@example.ru ", "anna@example.ru"), ("a@b", "a@b")],
)
def test_email_by_at_sign(text, expected):
    identifier = parse_identifier(text)
    assert (identifier.kind, identifier.value) == (Kind.EMAIL, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("660100012345", "660100012345"),  # 12 digits: Свердловский
        ("6601 0001 2345", "660100012345"),  # spaces as printed on a bill
        ("5900012345", "5900012345"),  # 10 digits
        ("590001234", "590001234"),
        ("99123456789", "99123456789"),  # 11 digits that are no phone: an account number
        ("+19123456789", "+19123456789"),  # not a Russian number
        ("ЛС-123", "ЛС-123"),
    ],
)
def test_everything_else_is_an_account_number(text, expected):
    identifier = parse_identifier(text)
    assert (identifier.kind, identifier.value) == (Kind.ACCOUNT, expected)


def test_eleven_digits_starting_with_7_that_are_not_a_valid_number_fall_back_to_account():
    assert parse_identifier("70000000000").kind is Kind.ACCOUNT


@pytest.mark.parametrize("text", ["", "123", "+7 912 345", "8 912 345 67 89 00", "phone", "+8 912 345 67 89"])
def test_not_phones(text):
    assert not looks_like_phone(text)
    with pytest.raises(InvalidPhone):
        normalize_phone(text)


def test_display_phone():
    assert display_phone("+79123456789") == "+7\u00a0912\u00a0345-67-89"  # a line never ends inside it
    assert mask_phone("+79123456789") == "+7\u00a0912\u00a0***-**-89"
