"""The home page, the public landing (G1) and the tour offer (G13)."""

from django.urls import reverse

from kabinet.identity.models import AccountLink
from tests.factories import customer_login, make_account


def test_landing_has_the_personal_cabinet_button(client, db):
    page = client.get("/").content.decode()
    assert "Личный кабинет" in page and reverse("portal:login") in page


def test_landing_sends_signed_in_customers_home(client, customer):
    customer_login(client, customer)
    assert client.get("/")["Location"] == reverse("portal:home")


def test_home_lists_accounts_and_offers_the_tour_until_done(client, customer, sverdlovsk):
    AccountLink.objects.create(user=customer, account=make_account(sverdlovsk, "660100000055", house="5"))
    customer_login(client, customer)
    page = client.get(reverse("portal:home")).content.decode()
    assert "660100000001" in page and "660100000055" in page and "ул.\u00a0Малышева" in page
    assert "Начать знакомство" in page and "tour-offer" in page
    assert client.post(reverse("portal:tour_done"), HTTP_ACCEPT="application/json").status_code == 204
    customer.refresh_from_db()
    assert customer.tour_completed_at is not None
    page = client.get(reverse("portal:home")).content.decode()
    assert "tour-offer" not in page
    # Still restartable from the user menu.
    assert reverse("portal:home") + "?tour=1" in page


def test_tour_page_works_without_javascript(client, customer):
    customer_login(client, customer)
    page = client.get(reverse("portal:tour")).content.decode()
    assert "Знакомство с личным кабинетом" in page and "Завершить знакомство" in page


def test_home_autostart_marker_only_when_asked(client, customer):
    customer_login(client, customer)
    assert "data-tour-autostart" not in client.get(reverse("portal:home")).content.decode()
    assert "data-tour-autostart" in client.get(reverse("portal:home") + "?tour=1").content.decode()


def test_healthz(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_consent_page_shows_the_current_version(client, db):
    page = client.get(reverse("portal:consent")).content.decode()
    assert "Согласие на обработку персональных данных" in page and "152-ФЗ" in page and "1.0" in page
