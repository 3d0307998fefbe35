"""The profile (G12): names, e-mail confirmed by link, phone confirmed by SMS, password,
personal accounts; and that one customer cannot reach another's."""

import re

from django.test import Client
from django.urls import reverse
import pytest

from kabinet.core.models import AuditEvent
from kabinet.identity.models import AccountLink, User
from tests.conftest import PASSWORD, make_account, make_customer


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


def link_path(body: str) -> str:
    return "/" + re.search(r"https?://[^/\s]+/(\S+)", body).group(1)


def test_header_shows_name_and_links_to_profile(signed_in):
    page = signed_in.get(reverse("portal:home")).content.decode()
    assert "Анна Иванова" in page and reverse("portal:profile") in page


def test_names_are_saved(signed_in, customer):
    signed_in.post(reverse("portal:names"), {"first_name": "Мария", "last_name": "Петрова"})
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("Мария", "Петрова")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PROFILE_CHANGED, user=customer).exists()


def test_email_counts_only_after_the_link(signed_in, customer, mailbox):
    response = signed_in.post(reverse("portal:email"), {"email": "New@Example.ru"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email == "anna@example.ru"
    assert mailbox()[0].to == ["new@example.ru"]
    signed_in.get(link_path(mailbox()[0].body))
    customer.refresh_from_db()
    assert customer.email == "new@example.ru"


def test_email_of_another_user_is_refused_at_the_field(signed_in, sverdlovsk, mailbox):
    make_customer("+79120000002", make_account(sverdlovsk, "660100000002"), email="boris@example.ru")
    response = signed_in.post(reverse("portal:email"), {"email": "BORIS@example.ru"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Повторная регистрация на этот e-mail невозможна" in page and 'value="BORIS@example.ru"' in page
    assert mailbox() == []


def test_tampered_email_link_is_refused(signed_in, customer, mailbox):
    signed_in.post(reverse("portal:email"), {"email": "new@example.ru"})
    path = link_path(mailbox()[0].body)
    assert signed_in.get(path[:-3] + "xyz/").status_code == 400
    customer.refresh_from_db()
    assert customer.email == "anna@example.ru"


def test_phone_change_needs_the_code_from_the_new_number(signed_in, customer, outbox):
    response = signed_in.post(reverse("portal:phone"), {"phone": "+7 912 777-77-77"})
    assert response["Location"] == reverse("portal:phone_confirm")
    customer.refresh_from_db()
    assert customer.phone == "+79120000001"
    signed_in.post(reverse("portal:phone_confirm"), {"code": outbox.last_code("+79127777777")})
    customer.refresh_from_db()
    assert customer.phone == "+79127777777"


def test_phone_of_another_user_is_refused(signed_in, sverdlovsk):
    make_customer("+79120000002")
    response = signed_in.post(reverse("portal:phone"), {"phone": "+79120000002"})
    assert "Этот телефон уже указан" in response.content.decode()


def test_password_change_keeps_this_session_and_ends_others(signed_in, customer):
    other = Client()
    other.force_login(customer)
    data = {"old_password": PASSWORD, "password": "Drugoi-parol-77", "password2": "Drugoi-parol-77"}
    assert signed_in.post(reverse("portal:password"), data).status_code == 302
    assert signed_in.get(reverse("portal:home")).status_code == 200
    assert other.get(reverse("portal:home")).status_code == 302


def test_wrong_current_password_is_said_at_the_field(signed_in):
    data = {"old_password": "wrong-one", "password": "Drugoi-parol-77", "password2": "Drugoi-parol-77"}
    page = signed_in.post(reverse("portal:password"), data).content.decode()
    assert "Текущий пароль указан неверно" in page


def test_add_and_remove_account(signed_in, customer, sverdlovsk):
    make_account(sverdlovsk, "660100000077", house="7б")
    response = signed_in.post(
        reverse("portal:add_account"), {"account_number": "660100000077", "house": "7 Б", "region": sverdlovsk.pk}
    )
    assert response.status_code == 302
    link = AccountLink.objects.get(account__number="660100000077")
    assert link.user == customer
    assert "660100000077" in signed_in.get(reverse("portal:home")).content.decode()
    signed_in.post(reverse("portal:remove_account", args=[link.pk]))
    assert not AccountLink.objects.filter(pk=link.pk).exists()


def test_add_account_errors_keep_input(signed_in, sverdlovsk, account):
    response = signed_in.post(
        reverse("portal:add_account"), {"account_number": "660100000001", "house": "12а", "region": sverdlovsk.pk}
    )
    assert "уже есть в вашем профиле" in response.content.decode()
    make_account(sverdlovsk, "660100000078", house="8")
    response = signed_in.post(
        reverse("portal:add_account"), {"account_number": "660100000078", "house": "9", "region": sverdlovsk.pk}
    )
    page = response.content.decode()
    assert "Номер дома не совпадает" in page and 'value="660100000078"' in page


class TestIsolation:
    """One customer can neither see nor change another customer's profile or accounts."""

    @pytest.fixture
    def boris(self, sverdlovsk):
        return make_customer(
            "+79120000002",
            make_account(sverdlovsk, "660100000002", house="2"),
            email="boris@example.ru",
            first_name="Борис",
            last_name="Смирнов",
        )

    def test_pages_show_only_own_data(self, signed_in, boris):
        for name in ["portal:home", "portal:profile"]:
            page = signed_in.get(reverse(name)).content.decode()
            assert "660100000001" in page
            assert "660100000002" not in page and "Смирнов" not in page and "boris@example.ru" not in page

    def test_cannot_remove_another_users_account(self, signed_in, boris):
        link = boris.account_links.get()
        assert signed_in.post(reverse("portal:remove_account", args=[link.pk])).status_code == 404
        assert AccountLink.objects.filter(pk=link.pk).exists()

    def test_cannot_claim_another_users_account(self, signed_in, boris, sverdlovsk):
        data = {"account_number": "660100000002", "house": "2", "region": sverdlovsk.pk}
        assert "уже зарегистрирован" in signed_in.post(reverse("portal:add_account"), data).content.decode()
        assert boris.account_links.count() == 1

    def test_email_link_made_for_another_user_changes_only_that_user(self, signed_in, customer, boris, mailbox):
        boris_client = Client()
        boris_client.force_login(boris)
        boris_client.post(reverse("portal:email"), {"email": "boris.new@example.ru"})
        signed_in.get(link_path(mailbox()[0].body))
        customer.refresh_from_db()
        boris.refresh_from_db()
        assert customer.email == "anna@example.ru" and boris.email == "boris.new@example.ru"

    def test_phone_code_of_another_user_is_useless(self, signed_in, customer, boris, outbox):
        boris_client = Client()
        boris_client.force_login(boris)
        boris_client.post(reverse("portal:phone"), {"phone": "+79125555555"})
        # The session of Anna holds no pending change, so the confirm page sends her back.
        assert signed_in.post(reverse("portal:phone_confirm"), {"code": outbox.last_code("+79125555555")})[
            "Location"
        ] == reverse("portal:phone")
        assert User.objects.get(pk=boris.pk).phone == "+79120000002"

    def test_anonymous_is_sent_to_login(self, client, db):
        for name in ["portal:home", "portal:profile", "portal:phone", "portal:password", "portal:add_account"]:
            assert client.get(reverse(name))["Location"].startswith(reverse("portal:login"))
