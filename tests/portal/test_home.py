"""The home page, the public landing (G1) and the tour offer (G13)."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kabinet.identity.models import AccountLink
from kabinet.payments.autopay_models import AutoPayment
from tests.factories import customer_login, make_account, make_customer, make_online_payment


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


def test_consent_page_shows_the_current_version(client, db):
    page = client.get(reverse("portal:consent")).content.decode()
    assert "Согласие на обработку персональных данных" in page and "152-ФЗ" in page and "1.0" in page


def _with_payment_and_autopayment(account, user) -> None:
    make_online_payment(account, "100.00", status="pending")
    AutoPayment.objects.create(account=account, user=user, status="active", day=15, cap=Decimal("5000.00"))


def _home_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("portal:home")).content.decode()
    return len(queries), page


def test_the_home_page_makes_as_many_queries_for_five_accounts_as_for_one(client, customer, account, sverdlovsk):
    """The cards' payments in progress and autopayment lines are read for all accounts at once."""
    _with_payment_and_autopayment(account, customer)
    customer_login(client, customer)
    _home_queries(client)  # the footer's contacts are read on the first page only
    one, page = _home_queries(client)
    assert page.count("Платёж в обработке") == 1 and page.count("15-го числа") == 1
    for n in range(2, 6):
        more = make_account(sverdlovsk, f"66010000005{n}", house=str(n))
        AccountLink.objects.create(user=customer, account=more)
        _with_payment_and_autopayment(more, customer)
    five, page = _home_queries(client)
    assert page.count("Платёж в обработке") == 5 and page.count("15-го числа") == 5
    assert five == one


def test_a_card_shows_only_the_customers_own_autopayment(client, customer, account, settings):
    """The account's former holder set one up (then removed the account from their profile):
    its card and terms are theirs, not shown to whoever holds the account now."""
    # The demo acquirer (DEBUG, as `make run`, with its outbox link): online payment works, so
    # the line offers to set one up.
    settings.DEBUG, settings.ROOT_URLCONF = True, "tests.core.urls_with_outbox"
    other = make_customer("+79120000077")
    AutoPayment.objects.create(account=account, user=other, status="active", day=15, cap=Decimal("5000.00"))
    customer_login(client, customer)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Автоплатёж</a>: не подключён" in page and "15-го числа" not in page
