"""«Оплатить»: the pay form (amount pre-filled, checked on the server, errors at their field,
the acquirer down), the return page that shows Kabinet's own state and its «Обновить», the
status its script asks (rate-limited), «Платёж в обработке» on the cards, and no way into
another customer's payment or account."""

from decimal import Decimal
import json
import re
import uuid

from django.core.cache import cache
from django.urls import reverse
import pytest

from kabinet.payments import demo
from kabinet.payments.checks import CHECK_EVERY_SECONDS
from kabinet.payments.models import DemoCharge, OnlinePayment
from tests.factories import customer_login, fake_yookassa, make_account, make_billed, make_customer
from tests.payments.fake_yookassa import SECRET_KEY, SHOP_ID, FakeYooKassa

pytestmark = pytest.mark.django_db
PUBLIC = "https://lk.example.ru"


@pytest.fixture
def demo_on(settings):
    """As `make run` starts: DEBUG on (the demo acquirer), the outbox routed (its footer link)."""
    settings.DEBUG, settings.ROOT_URLCONF = True, "tests.core.urls_with_outbox"
    settings.KABINET_YOOKASSA_SHOP_ID = settings.KABINET_YOOKASSA_SECRET_KEY = ""
    settings.KABINET_PUBLIC_URL = PUBLIC


@pytest.fixture
def yookassa_down(settings):
    """A ЮKassa look-alike answering 500 to everything: the acquirer is unavailable."""
    api = FakeYooKassa()
    api.script = [("status", 500)] * 10
    api.thread.start()
    settings.KABINET_YOOKASSA_SHOP_ID, settings.KABINET_YOOKASSA_SECRET_KEY = SHOP_ID, SECRET_KEY
    settings.KABINET_YOOKASSA_API_URL, settings.KABINET_YOOKASSA_TIMEOUT = api.url, 0.5
    yield api
    api.server.shutdown()
    api.server.server_close()


@pytest.fixture
def signed_in(client, customer, account, demo_on):
    make_billed(account)  # owes 1 536,18 ₽
    customer_login(client, customer)
    return client


def pay_url(account) -> str:
    return reverse("portal:pay", kwargs={"account_id": account.pk})


def page_url(payment) -> str:
    return reverse("portal:payment", kwargs={"payment_id": payment.public_id})


def status_url(payment) -> str:
    return reverse("portal:payment_status", kwargs={"payment_id": payment.public_id})


def form(**overrides) -> dict:
    return {"amount": "1536,18", "method": "bank_card", "receipt": "anna@example.ru", **overrides}


def started(client, account, **overrides) -> OnlinePayment:
    response = client.post(pay_url(account), form(**overrides))
    assert response.status_code == 302, response.content.decode()
    return OnlinePayment.objects.latest("created_at")


def pay_at_the_demo(payment, paid=True) -> None:
    demo.finish(payment.acquirer_id, paid=paid)
    cache.clear()  # the check's rate limit: a later request may ask again


# --- The pay form -------------------------------------------------------------------------------
def test_the_form_is_filled_with_the_debt_and_the_profiles_email(signed_in, account):
    response = signed_in.get(pay_url(account))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Оплата</h1>" in html and "Лицевой счёт 660100000001" in html
    assert 'name="amount" value="1536,18"' in html
    assert 'value="bank_card"' in html and "checked" in html.split('value="bank_card"')[1][:80]
    assert 'name="receipt" value="anna@example.ru"' in html
    for label in ('for="id_amount"', 'for="id_receipt"', "Банковская карта", "СБП", "Способ оплаты"):
        assert label in html
    assert "Перейти к оплате" in html
    assert "Тестовая оплата — деньги не списываются" in html
    assert "От 1,00\u00a0₽ до 100\u00a0000,00\u00a0₽" in html
    assert "style=" not in html and "<script>" not in html, "CSP: no inline styles or scripts"


def test_the_form_lets_the_redirect_go_to_yookassas_page(signed_in, account):
    """A browser applies the page's form-action to the redirect after its POST."""
    csp = signed_in.get(pay_url(account))["Content-Security-Policy"]
    assert "form-action 'self' https://yoomoney.ru" in csp


def test_the_phone_stands_in_for_a_missing_email(client, sverdlovsk, demo_on):
    account = make_account(sverdlovsk, "660100000005")
    customer_login(client, make_customer("+79120000005", account))
    html = client.get(pay_url(account)).content.decode()
    assert 'name="receipt" value="+79120000005"' in html
    assert 'name="amount" value="1,00"' in html, "nothing billed: the smallest amount allowed"


def test_paying_sends_the_customer_to_the_acquirer_with_a_return_to_that_payment(signed_in, account, customer):
    response = signed_in.post(pay_url(account), form(amount="1 000,50", method="sbp"))
    payment = OnlinePayment.objects.get()
    assert response.status_code == 302 and response["Location"] == payment.confirmation_url
    assert payment.confirmation_url.startswith("/payments/demo/")
    assert (payment.amount, payment.method, payment.user, payment.account) == (Decimal("1000.50"), "sbp", customer,
                                                                               account)  # fmt: skip
    assert payment.receipt_email == "anna@example.ru" and payment.status == "pending"
    request = DemoCharge.objects.get().request
    assert request["confirmation"]["return_url"] == f"{PUBLIC}/pay/{payment.public_id}/"


def test_a_phone_for_the_receipt(signed_in, account):
    payment = started(signed_in, account, receipt="8 (912) 000-00-01")
    assert (payment.receipt_phone, payment.receipt_email) == ("79120000001", "")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "100000,01"}, "amount", "Сумма платежа — не больше 100\u00a0000,00\u00a0₽."),
        ({"amount": "0,50"}, "amount", "Сумма платежа — не меньше 1,00\u00a0₽."),
        ({"amount": "сто"}, "amount", "Введите сумму числом, например 1500,00."),
        ({"amount": "10,555"}, "amount", "не больше двух знаков после запятой"),
        ({"receipt": "anna@"}, "receipt", "Введите адрес электронной почты"),
        ({"receipt": "12345"}, "receipt", "Введите номер телефона"),
        ({"method": "cash"}, "method", "Выберите корректный вариант"),
        ({"amount": ""}, "amount", "Обязательное поле."),
    ],
)
def test_a_refusal_is_shown_at_its_field_and_keeps_what_was_typed(signed_in, account, overrides, field, message):
    response = signed_in.post(pay_url(account), form(**overrides))
    html = response.content.decode()
    assert response.status_code == 400
    errors = html.split(f'id="id_{field}_error"')[1].split("</div>")[0] if field != "method" else html
    assert message in errors
    typed = form(**overrides)
    assert f'name="amount" value="{typed["amount"]}"' in html or not typed["amount"]
    assert f'name="receipt" value="{typed["receipt"]}"' in html
    assert not OnlinePayment.objects.exists()


def test_the_acquirer_down_is_said_plainly_and_the_form_stays(signed_in, account, yookassa_down):
    response = signed_in.post(pay_url(account), form(amount="700,00"))
    html = response.content.decode()
    assert response.status_code == 503
    assert "Оплата временно недоступна" in html
    assert 'name="amount" value="700,00"' in html and "Перейти к оплате" in html
    assert OnlinePayment.objects.get().status == "new", "ЮKassa may have it: the task asks again (docs/payments.md)"
    left_open = r"Платёж в обработке:</strong> <span class=\"nowrap\">700,00"
    assert re.search(left_open, html), "the attempt left open is shown before paying again"


def test_without_an_acquirer_there_is_no_pay_button_and_no_form(client, customer, account, settings):
    settings.DEBUG, settings.KABINET_YOOKASSA_SHOP_ID = False, ""
    customer_login(client, customer)
    for page in ("portal:home", "portal:account", "portal:bills"):
        kwargs = {} if page == "portal:home" else {"account_id": account.pk}
        assert pay_url(account) not in client.get(reverse(page, kwargs=kwargs)).content.decode(), page
    html = client.get(pay_url(account)).content.decode()
    assert "Оплата онлайн сейчас недоступна." in html and "Перейти к оплате" not in html
    assert client.post(pay_url(account), form()).status_code == 503
    assert not OnlinePayment.objects.exists()


def test_pay_is_on_the_card_the_accruals_and_the_bills(signed_in, account):
    for page in ("portal:home", "portal:account", "portal:bills"):
        kwargs = {} if page == "portal:home" else {"account_id": account.pk}
        html = signed_in.get(reverse(page, kwargs=kwargs)).content.decode()
        assert f'href="{pay_url(account)}"' in html and "Оплатить" in html, page


def test_only_a_held_account_can_be_paid_into(signed_in, sverdlovsk):
    other = make_account(sverdlovsk, "660100000002", flat="7")
    assert signed_in.get(pay_url(other)).status_code == 404
    assert signed_in.post(pay_url(other), form()).status_code == 404
    assert not OnlinePayment.objects.exists()


def test_starting_a_payment_needs_csrf(customer, account, demo_on):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    customer_login(strict, customer)
    assert strict.post(pay_url(account), form()).status_code == 403
    assert not OnlinePayment.objects.exists()


def test_try_again_fills_the_form_with_the_same_amount(signed_in, account):
    html = signed_in.get(pay_url(account) + "?amount=700,00&method=sbp").content.decode()
    assert 'name="amount" value="700,00"' in html
    assert "checked" in html.split('value="sbp"')[1][:80]


# --- The return page and the status -----------------------------------------------------------
def test_the_return_page_shows_kabinets_state_without_asking_the_acquirer(signed_in, account):
    payment = started(signed_in, account)
    pay_at_the_demo(payment)
    html = signed_in.get(page_url(payment)).content.decode()
    assert "Платёж в обработке" in html, "paid at the acquirer, but nobody asked yet"
    assert 'data-payment-state="pending"' in html and "data-payment-final" not in html
    assert f'data-payment-status-url="{status_url(payment)}"' in html
    assert "Обновить" in html
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_refresh_asks_the_acquirer_and_shows_the_paid_balance(signed_in, account):
    payment = started(signed_in, account)
    pay_at_the_demo(payment)
    response = signed_in.post(page_url(payment))
    assert response.status_code == 302 and response["Location"] == page_url(payment)
    html = signed_in.get(page_url(payment)).content.decode()
    assert "Платёж зачислен" in html and "data-payment-final" in html
    assert "задолженности нет" in html, "1 536,18 ₽ owed, 1 536,18 ₽ paid"
    assert "Начисления и платежи" in html


def test_the_status_asks_the_acquirer_and_answers_with_the_page_part(signed_in, account):
    payment = started(signed_in, account)
    cache.clear()
    first = signed_in.get(status_url(payment))
    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    assert json.loads(first.content)["status"] == "pending"
    pay_at_the_demo(payment)
    answer = json.loads(signed_in.get(status_url(payment)).content)
    assert answer["status"] == "succeeded" and answer["final"] is True
    assert "Платёж зачислен" in answer["html"] and "data-payment-final" in answer["html"]


def asks_about(api, payment) -> int:
    """How many times the ЮKassa look-alike was asked about the payment."""
    return api.requests.count(("GET", f"/v3/payments/{payment.acquirer_id}", None))


def test_the_acquirer_is_asked_at_most_once_in_a_few_seconds_per_payment(client, customer, account, settings):
    """Counted where the requests arrive: a ЮKassa look-alike (payments.checks.refresh_if_due)."""
    with fake_yookassa(settings) as api:
        customer_login(client, customer)
        payment = started(client, account)
        for _ in range(5):
            client.get(status_url(payment))
            client.post(page_url(payment))
        assert asks_about(api, payment) == 1
        cache.clear()  # the few seconds passed
        client.get(status_url(payment))
        assert asks_about(api, payment) == 2
    assert CHECK_EVERY_SECONDS <= 5


def test_a_cancelled_payment_says_why_and_offers_to_try_again(signed_in, account):
    payment = started(signed_in, account, amount="700,00", method="sbp")
    pay_at_the_demo(payment, paid=False)
    answer = json.loads(signed_in.get(status_url(payment)).content)
    assert answer["status"] == "canceled"
    payment.refresh_from_db()
    html = signed_in.get(page_url(payment)).content.decode()
    assert "Платёж не прошёл" in html and payment.failure_message in html
    assert "Попробовать снова" in html
    assert f'href="{pay_url(account)}?amount=700%2C00&amp;method=sbp"' in html


def test_the_status_is_for_get_only_and_for_customers(client, signed_in, account):
    payment = started(signed_in, account)
    assert signed_in.post(status_url(payment)).status_code == 405
    client.logout()
    response = client.get(status_url(payment))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


def test_another_customers_payment_is_not_found(client, signed_in, account, sverdlovsk):
    payment = started(signed_in, account)
    other = make_customer("+79120000002", make_account(sverdlovsk, "660100000002", flat="7"))
    customer_login(client, other)
    for response in (client.get(page_url(payment)), client.post(page_url(payment)), client.get(status_url(payment))):
        assert response.status_code == 404
    unknown = reverse("portal:payment", kwargs={"payment_id": uuid.uuid4()})
    assert client.get(unknown).status_code == 404


# --- «Платёж в обработке» and the history -------------------------------------------------------
def test_the_card_and_the_accruals_show_a_payment_in_progress_at_once(signed_in, account):
    payment = started(signed_in, account, amount="700,00")
    for url in (reverse("portal:home"), reverse("portal:account", kwargs={"account_id": account.pk})):
        html = signed_in.get(url).content.decode()
        assert "Платёж в обработке:</strong>" in html, url
        assert "700,00\u00a0₽" in html and page_url(payment) in html, url


def test_a_paid_payment_is_in_the_history_and_the_balance(signed_in, account):
    payment = started(signed_in, account, amount="500,00")
    pay_at_the_demo(payment)
    signed_in.get(status_url(payment))
    html = signed_in.get(reverse("portal:account", kwargs={"account_id": account.pk})).content.decode()
    assert "Платёж в обработке:</strong>" not in html
    assert "500,00\u00a0₽ (Онлайн: СБП или карта)" in html
    assert "К оплате: <strong>1\u00a0036,18\u00a0₽</strong>" in html
