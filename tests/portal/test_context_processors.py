"""The header's name and initials come from the `customer` context processor as plain strings
(docs/performance.md step 9): the same text the template's filters wrote from the user, for
every shape of name, escaped, and only in a customer's session."""

import re

from django.template import engines
from django.urls import reverse
import pytest

from kabinet.appeals.models import StaffRole
from kabinet.identity.models import User
from tests.factories import customer_login, give_second_factor, make_account, make_customer, make_staff, staff_login

# What core/base.html wrote before the strings came from the context processor.
OLD_MENU = engines["django"].from_string(
    """{{ user.get_full_name|default:user.phone|default:'Профиль' }}|"""
    """{{ user.first_name|first|default:"●" }}{{ user.last_name|first }}"""
)


def menu_of(page: str) -> str:
    label = re.search(r'<summary aria-label="Меню профиля: ([^"]*)">', page).group(1)
    initials = re.search(r'<span class="avatar" aria-hidden="true">([^<]*)</span>', page).group(1)
    name = re.search(r'<span class="user-name">([^<]*)</span>', page).group(1)
    assert label == name
    return f"{name}|{initials}"


@pytest.mark.parametrize(
    "names",
    [
        {"first_name": "Анна", "last_name": "Иванова"},
        {"first_name": "Анна", "last_name": ""},
        {"first_name": "", "last_name": "Иванова"},
        {"first_name": "", "last_name": ""},
        {"first_name": '<b>Ann</b> & "Co"', "last_name": "'O'Neil"},
    ],
)
def test_the_menu_shows_what_the_old_filters_wrote(client, sverdlovsk, names):
    user = make_customer("+79120000005", make_account(sverdlovsk, "660100000005"), **names)
    customer_login(client, user)
    page = client.get(reverse("portal:home")).content.decode()
    assert menu_of(page) == OLD_MENU.render({"user": user})
    assert "<b>Ann</b>" not in page


def test_without_a_name_or_a_phone_the_menu_says_profile(client, sverdlovsk):
    user = make_customer("+79120000005", make_account(sverdlovsk, "660100000005"), first_name="", last_name="")
    User.objects.filter(pk=user.pk).update(phone=None, email="anna@example.ru")
    user.refresh_from_db()
    customer_login(client, user)
    page = client.get(reverse("portal:home")).content.decode()
    assert menu_of(page) == OLD_MENU.render({"user": user}) == "Профиль|●"


def test_no_name_outside_a_customers_session(client, customer):
    page = client.get(reverse("portal:login")).content.decode()
    assert 'class="user-name"' not in page and "Меню профиля" not in page


def test_no_name_on_the_back_offices_pages(client, sverdlovsk):
    operator = make_staff("op@example.ru", StaffRole.Role.OPERATOR, sverdlovsk)
    give_second_factor(operator.user)
    staff_login(client, operator.user)
    assert client.get(reverse("backoffice:queue")).status_code == 200
    page = client.get("/no-such-page/").content.decode()
    assert 'class="user-name"' not in page and "Меню профиля" not in page
