"""«Автоплатёж» pages with the demo acquirer: set up through its confirmation page, see it,
change it, bad input kept next to its field, switch off; another customer's account is 404."""

from decimal import Decimal

from django.core.cache import cache
from django.urls import reverse
import pytest

from kabinet.billing.money import format_rub
from kabinet.payments.models import AutoPayment
from kabinet.portal.autopayment_forms import FIRST_DAY, AutoPaymentForm, form_fields, setup_fields, working_fields
from tests.factories import customer_login, fake_yookassa, make_account, make_customer


@pytest.fixture
def signed_in(client, customer, settings):
    # As `make run` serves it: DEBUG on (the outbox routed, the footer links it), no ЮKassa shop.
    settings.DEBUG, settings.ROOT_URLCONF = True, "tests.core.urls_with_outbox"
    settings.KABINET_YOOKASSA_SHOP_ID = settings.KABINET_YOOKASSA_SECRET_KEY = ""
    settings.KABINET_PUBLIC_URL = "http://testserver"  # the bank's page sends the customer back here
    customer_login(client, customer)
    return client


def set_up(client, account, day="15", cap="5000"):
    page = reverse("portal:autopayment", args=[account.pk])
    to_bank = client.post(page, {"day": day, "cap": cap})
    assert to_bank.status_code == 302 and to_bank.url.startswith("/payments/demo/")
    back = client.post(to_bank.url, {"action": "pay"})
    assert back.url.endswith(page)
    return client.get(page)


def test_set_up_see_change_and_switch_off(signed_in, account):
    shown = set_up(signed_in, account).content.decode()
    assert "Автоплатёж подключён" in shown and "Карта •••• 4444" in shown and "15-го числа" in shown
    assert "Тестовая оплата" in shown
    page = reverse("portal:autopayment", args=[account.pk])
    changed = signed_in.post(page, {"day": "3", "cap": "2500,50"}, follow=True).content.decode()
    assert "Автоплатёж изменён: списание 3-го числа, не больше 2\xa0500,50\xa0₽." in changed
    off = reverse("portal:autopayment_off", args=[account.pk])
    assert "Отключить автоплатёж?" in signed_in.get(off).content.decode()
    done = signed_in.post(off, follow=True).content.decode()
    assert "Автоплатёж отключён" in done and "удалил её идентификатор" in done
    assert AutoPayment.objects.get().method_id == ""
    assert "Подключить автоплатёж" in done, "and it can be set up again"


def test_the_card_on_home_links_to_it(signed_in, account):
    set_up(signed_in, account)
    home = signed_in.get(reverse("portal:home")).content.decode()
    assert reverse("portal:autopayment", args=[account.pk]) in home
    assert "15-го числа, не больше 5\xa0000,00\xa0₽" in home


def test_bad_input_is_told_next_to_the_field_and_kept(signed_in, account):
    page = reverse("portal:autopayment", args=[account.pk])
    response = signed_in.post(page, {"day": "31", "cap": "пять тысяч"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "Выберите день с 1 по 28." in body and "Введите сумму числом" in body
    assert 'value="пять тысяч"' in body
    assert '<label for="id_cap"' in body and '<label for="id_day"' in body
    over = signed_in.post(page, {"day": "5", "cap": "1000000"}).content.decode()
    assert "Не больше 100\xa0000,00\xa0₽" in over and 'value="1000000"' in over
    assert not AutoPayment.objects.exists()


def test_without_an_acquirer_the_page_says_so(client, customer, account):
    customer_login(client, customer)
    body = client.get(reverse("portal:autopayment", args=[account.pk])).content.decode()
    assert "Автоплатёж временно недоступен" in body and "<form" not in body.split("<main")[-1].split("</main>")[0]


def test_the_form_is_drawn_only_where_the_page_shows_it(signed_in, customer, account, settings):
    page = reverse("portal:autopayment", args=[account.pk])
    setup = signed_in.get(page)
    assert setup.context["fields"] and "Подключить автоплатёж</button>" in setup.content.decode()
    AutoPayment.objects.create(account=account, user=customer, status="active", day=3, cap="2500.50")
    settings.DEBUG = False  # online payment off (no demo, no shop): a working autopayment can still be changed
    body = signed_in.get(page).content.decode()
    assert "Сохранить изменения" in body and '<option value="3" selected>' in body and 'value="2500,50"' in body
    AutoPayment.objects.filter(account=account).update(status="stopped")
    stopped = signed_in.get(page)
    assert stopped.context["fields"] is None and "Автоплатёж временно недоступен" in stopped.content.decode()


@pytest.mark.parametrize("amount", ["0.01", "1536.18", "100000.00", "1234567.89"])
def test_the_setup_fields_are_the_forms(amount):
    drawn = AutoPaymentForm(initial={"day": FIRST_DAY}, first_amount=Decimal(amount))
    assert setup_fields(Decimal(amount)) == form_fields(drawn)
    assert format_rub(Decimal(amount)) in setup_fields(Decimal(amount))


@pytest.mark.parametrize("cap", ["5000.00", "2500.50", "0.01", "100000.00", "1234567.89"])
def test_the_working_fields_are_the_forms(cap):
    for day in (1, 3, 15, 28):
        drawn = AutoPaymentForm(initial={"day": day, "cap": Decimal(cap)})
        assert working_fields(day, Decimal(cap)) == form_fields(drawn)
    assert '<option value="28" selected>' in working_fields(28, Decimal(cap))


def test_another_customers_account_is_not_found(signed_in, sverdlovsk, account):
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", flat="7"))
    assert other.pk
    other_account = other.account_links.get().account
    for name in ("portal:autopayment", "portal:autopayment_off"):
        url = reverse(name, args=[other_account.pk])
        assert signed_in.get(url).status_code == 404
        assert signed_in.post(url, {"day": "15", "cap": "5000"}).status_code == 404
    assert not AutoPayment.objects.exists()


def test_a_new_holder_never_sees_or_changes_the_previous_holders_autopayment(signed_in, client, account, customer):
    """The account passes to another person (the first holder's link gone, however): the page
    and the home card show the new holder nothing of the old card, and their own setup stops
    the old one."""
    set_up(signed_in, account, day="15", cap="5000")
    old = AutoPayment.objects.get()
    customer.account_links.all().delete()
    heir = make_customer("+79120000009", account)
    customer_login(client, heir)
    page = reverse("portal:autopayment", args=[account.pk])
    shown = client.get(page).content.decode()
    assert "Автоплатёж подключён" not in shown and "•••• 4444" not in shown and "Подключить автоплатёж" in shown
    home = client.get(reverse("portal:home")).content.decode()
    assert "15-го числа, не больше" not in home
    assert client.post(page, {"day": "3", "cap": "100"}).status_code == 302, "a setup of their own"
    old.refresh_from_db()
    assert old.day == 15 and old.cap == 5000 and old.status == "stopped" and old.stop_code == "account_removed"
    assert AutoPayment.objects.get(status="setup").user == heir


def test_removing_the_account_from_the_profile_stops_the_autopayment_and_says_so(signed_in, account, customer, outbox):
    set_up(signed_in, account)
    outbox.messages()
    link = customer.account_links.get()
    removed = signed_in.post(reverse("portal:remove_account", args=[link.pk]))
    assert removed.status_code == 302
    autopayment = AutoPayment.objects.get()
    assert autopayment.status == "stopped" and autopayment.stop_code == "account_removed"
    assert autopayment.method_id == ""
    [sms] = outbox.messages()
    assert "удалён из вашего профиля: автоплатёж по нему отключён" in sms["text"]


def test_the_bank_returns_the_customer_to_the_public_address(client, customer, account, settings):
    """The return URL is KABINET_PUBLIC_URL's, whatever Host the request named."""
    settings.KABINET_PUBLIC_URL = "https://lk.example.ru"
    customer_login(client, customer)
    page = reverse("portal:autopayment", args=[account.pk])
    with fake_yookassa(settings) as api:
        assert client.post(page, {"day": "15", "cap": "5000"}).status_code == 302
        [(body, _)] = api.keys.values()
        assert body["confirmation"]["return_url"] == "https://lk.example.ru" + page


def test_a_cap_below_the_first_payment_is_refused_at_the_cap_field(signed_in, account):
    """The first payment (the debt, or the latest bill) saves the card: it is stated next to
    the cap, and a smaller cap is refused there, before anything reaches the bank."""
    from kabinet.billing.money import format_rub
    from kabinet.payments.autopayments import first_payment_amount
    from tests.factories import make_billed

    make_billed(account)
    first = format_rub(first_payment_amount(account))
    page = reverse("portal:autopayment", args=[account.pk])
    shown = signed_in.get(page).content.decode()
    assert f"Первый платёж, который сохраняет карту, — {first}: укажите не меньше." in shown
    refused = signed_in.post(page, {"day": "15", "cap": "1"})
    body = refused.content.decode()
    assert refused.status_code == 400 and 'value="1"' in body
    assert f"Укажите не меньше {first} или сначала оплатите долг вручную." in body
    assert not AutoPayment.objects.exists()


def test_reloading_the_page_asks_the_acquirer_at_most_once_in_a_few_seconds(client, customer, account, settings):
    """The first payment not paid yet: the page asks ЮKassa (a look-alike here, counting) about
    it once, however often it is reloaded, and again a few seconds later."""
    with fake_yookassa(settings) as api:
        customer_login(client, customer)
        page = reverse("portal:autopayment", args=[account.pk])
        assert client.post(page, {"day": "15", "cap": "5000"}).status_code == 302
        payment = AutoPayment.objects.get().setup_payment
        for _ in range(5):
            assert "первый платёж ещё не завершён" in client.get(page).content.decode()
        asked = ("GET", f"/v3/payments/{payment.acquirer_id}", None)
        assert api.requests.count(asked) == 1
        cache.clear()  # the few seconds passed
        client.get(page)
        assert api.requests.count(asked) == 2
