"""Removing a personal account from the profile asks first and says what goes (issue 11,
point 19); the confirmation works without JavaScript: a page (GET) and a form (POST)."""

from django.urls import reverse
import pytest

from kabinet.identity.models import AccountLink
from tests.factories import customer_login, login_url, make_account, make_appeal, make_customer, redirected_to


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    return client


@pytest.fixture
def link(customer):
    return customer.account_links.select_related("account").get()


def test_the_profiles_remove_leads_to_a_confirmation_not_a_removal(signed_in, link):
    page = signed_in.get(reverse("portal:profile")).content.decode()
    assert f'href="{reverse("portal:confirm_remove_account", args=[link.pk])}"' in page
    assert f'action="{reverse("portal:remove_account", args=[link.pk])}"' not in page


def test_the_confirmation_says_what_is_lost_and_removes_nothing(signed_in, link):
    response = signed_in.get(reverse("portal:confirm_remove_account", args=[link.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Удалить лицевой счёт {link.account.number}?" in page
    for said in ["показания, квитанции и начисления", "пропадут из личного кабинета", "Обращения, которые вы уже",
                 "останутся", "номером лицевого счёта и номером дома"]:  # fmt: skip
        assert said in page, said
    assert f'<form method="post" action="{reverse("portal:remove_account", args=[link.pk])}"' in page
    assert ">Удалить лицевой счёт</button>" in page
    assert f'<a href="{reverse("portal:profile")}">Отмена</a>' in page
    assert "no-store" in response["Cache-Control"]
    assert AccountLink.objects.filter(pk=link.pk).exists()


def test_the_confirmation_button_removes_and_sent_appeals_stay(signed_in, customer, link, reason):
    appeal = make_appeal(customer, link.account, reason)
    response = signed_in.post(reverse("portal:remove_account", args=[link.pk]))
    assert response["Location"] == reverse("portal:profile")
    assert not AccountLink.objects.filter(pk=link.pk).exists()
    assert "Лицевой счёт удалён из профиля." in signed_in.get(reverse("portal:profile")).content.decode()
    assert appeal.number in signed_in.get(reverse("portal:appeals")).content.decode()
    assert signed_in.get(reverse("portal:appeal", args=[appeal.number])).status_code == 200


def test_the_removal_itself_still_refuses_get(signed_in, link):
    assert signed_in.get(reverse("portal:remove_account", args=[link.pk])).status_code == 405
    assert AccountLink.objects.filter(pk=link.pk).exists()


def test_another_customers_link_is_404_at_both_steps(signed_in, sverdlovsk):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002"))
    theirs = other.account_links.get()
    assert signed_in.get(reverse("portal:confirm_remove_account", args=[theirs.pk])).status_code == 404
    assert signed_in.post(reverse("portal:remove_account", args=[theirs.pk])).status_code == 404
    assert AccountLink.objects.filter(pk=theirs.pk).exists()


def test_a_removed_link_has_no_confirmation_page(signed_in, link):
    signed_in.post(reverse("portal:remove_account", args=[link.pk]))
    assert signed_in.get(reverse("portal:confirm_remove_account", args=[link.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, link):
    page = reverse("portal:confirm_remove_account", args=[link.pk])
    assert redirected_to(client.get(page)) == login_url(page)
