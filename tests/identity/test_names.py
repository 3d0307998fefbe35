"""Issue 11, point 11: one rule for first names and surnames (identity.names), used by the
profile, registration (tests/portal), the admin's user form and the legacy import."""

import pytest

from kabinet.identity.admin import KabinetUserChangeForm
from kabinet.identity.names import InvalidName, normalize_name
from tests.factories import make_customer


@pytest.mark.parametrize(
    "name",
    [
        "Анна",
        "Анна-Мария",
        "Д'Артаньян",
        "O’Brien",
        "Jr.",
        "Нгуен Ван Ань",
        "Σωκράτης",
        "山田",
        "Zoë",
        "Ольга-Ёлка",
        "А. С.",
        "St. John",
        "Nguyễn",
        "Lakshmi स्मिता",  # Devanagari vowel signs and virama (Mn, Mc)
        "สมศักดิ์",  # Thai: two marks on one letter
    ],
)
def test_names_of_any_alphabet_pass(name):
    assert normalize_name(f"  {name} ") == name


def test_combining_accents_are_kept_and_composed():
    assert normalize_name("Zoe\u0308") == "Zoë"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Иванова\r\nhttp://evil.example/", "Недопустимый символ: перевод строки"),
        ("Иванова http://x", "Недопустимый символ: «:»"),
        ("Иван0ва", "Недопустимый символ: «0»"),
        ("Анна\u200b", "Недопустимый символ: невидимый символ"),
        ("<b>Анна</b>", "Недопустимый символ: «<»"),
        ("-Анна", "Начните с буквы"),
        ("А" * 101, "Не длиннее 100 символов"),
        ("www.evil.com", "Точка ставится только в конце сокращения"),
        ("Иванова.рф", "Точка ставится только в конце сокращения"),
        ("Анна\ufe0f", "Недопустимый символ: невидимый символ"),  # a variation selector (Mn)
        ("Анна\U000e0100", "Недопустимый символ: невидимый символ"),
        ("Анна\u20dd", "Недопустимый символ: «\u25cc\u20dd»"),  # an enclosing circle (Me)
        ("\u3164\u3164", "Недопустимый символ: невидимый символ"),  # Hangul fillers: letters, blank
        ("\u115f\u1160", "Недопустимый символ: невидимый символ"),
        ("Анна \uffa0", "Недопустимый символ: невидимый символ"),
        ("А" + "\u0301" * 60, "ставится только после буквы, не больше двух"),
        ("Анна\u0301\u0300\u0302", "ставится только после буквы, не больше двух"),
        ("Анна \u0301", "ставится только после буквы"),
    ],
)
def test_anything_else_is_refused_with_a_reason(name, message):
    with pytest.raises(InvalidName, match=message):
        normalize_name(name)


def test_empty_name_is_allowed():
    assert normalize_name("  ") == ""


def test_admin_user_form_follows_the_rule(db):
    user = make_customer("+79120000001")
    data = {"phone": user.phone, "first_name": "Анна", "last_name": "Иванова\nhttp://evil.example"}
    data |= {"date_joined": "2026-01-01 10:00", "is_active": "on"}
    form = KabinetUserChangeForm(data, instance=user)
    assert not form.is_valid()
    assert "Недопустимый символ: перевод строки" in form.errors["last_name"][0]
