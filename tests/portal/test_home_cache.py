"""The home page keeps its account cards rendered in the cache (portal.fragments.cards_html),
keyed by every value they show: whatever changes one shows on the very next view."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
import io
import re

from django.urls import reverse
from django.utils import timezone
import pytest
import time_machine

from kabinet.billing.models import Region
from kabinet.billing.money import format_rub
from kabinet.core.compiled import _Prepared
from kabinet.exchange.runner import run_import
from kabinet.identity.models import AccountLink
from kabinet.payments.autopay_models import AutoPayment
from kabinet.payments.autopayments import Terms, start_setup, stop
from kabinet.payments.demo import finish
from kabinet.payments.services import check_payment, start_payment
from tests.factories import csv_bytes, customer_login, make_account, make_billed, make_customer

CARDS = "portal/_cards.html"
ACCRUALS = "region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason"


@pytest.fixture
def page(client, customer, account):
    make_billed(account)  # September and October 2026 billed, 1 000 ₽ paid on 05.10.2026
    customer_login(client, customer)
    return lambda: home(client)


def home(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    return response


def drawn(response) -> bool:
    return CARDS in [t.name for t in response.templates]


def part(response) -> str:
    """The cards: between the section's heading and its «Добавить лицевой счёт»."""
    text = response.content.decode()
    start = text.index('<h2 id="accounts-title">')
    return text[start : text.index('<p class="actions" data-tour="7"', start)]


def to_pay(response) -> Decimal:
    """The card's «К оплате», as the page shows it (0 when nothing is owed)."""
    found = re.search(r"К оплате: <strong>([^<]+)</strong>", part(response))
    return Decimal(found.group(1).replace("\u00a0", "").replace("₽", "").replace(",", ".")) if found else Decimal(0)


def due(response) -> date:
    found = re.search(r"<dt>Оплатить до</dt><dd>(\d\d\.\d\d\.\d{4})", part(response))
    return datetime.strptime(found.group(1), "%d.%m.%Y").date()


def test_the_cards_are_drawn_once_and_then_served_from_the_cache(page):
    first, second = page(), page()
    assert drawn(first) and not drawn(second)
    assert part(first) == part(second) and "660100000001" in part(second)
    # The part is the same for every request: no CSRF token, no nonce. The page around it
    # keeps the tour offer's form with its token.
    assert "csrfmiddlewaretoken" in second.content.decode()
    assert "csrf" not in part(second).lower() and "nonce" not in part(second)


def test_a_kept_card_is_served_from_the_rows_without_making_accounts(page, monkeypatch):
    """Without payments in progress or an autopayment, the cards' key is their statement's rows:
    a hit makes no model instance of them (core.compiled.Rows.instances)."""
    page()
    made = []
    build = _Prepared.build
    monkeypatch.setattr(_Prepared, "build", lambda self, db, rows: made.append(len(rows)) or build(self, db, rows))
    response = page()
    assert not drawn(response) and "660100000001" in part(response)
    assert made == [1]  # the user's own row (the session's user), none of the cards'


def test_an_accruals_import_shows_at_once(page, account):
    before = to_pay(page())
    november = f"66,{account.number},2026-11,electricity,1,100,6.7100,671.00,,"
    batch = run_import("accruals", io.BytesIO(csv_bytes(november, header=ACCRUALS)), file_name="a.csv", source="t")
    assert batch.status == "done", batch.message
    response = page()
    assert drawn(response) and to_pay(response) == before + Decimal("671.00")
    assert f"К оплате: <strong>{format_rub(before + Decimal('671.00'))}</strong>" in part(response)


def test_an_online_payment_shows_at_once_in_progress_and_then_paid(page, customer, account, demo_acquirer):
    before = to_pay(page())
    payment = start_payment(user=customer, account=account, amount=Decimal("321.00"), method="bank_card",
                            receipt_email="anna@example.ru", return_url="/")  # fmt: skip
    response = page()
    assert drawn(response) and "Платёж в обработке" in part(response) and "321,00\u00a0₽" in part(response)
    finish(payment.acquirer_id, paid=True)
    check_payment(payment)
    response = page()
    assert drawn(response) and "Платёж в обработке" not in part(response)
    assert f"{format_rub(Decimal('321.00'))}, {timezone.localdate():%d.%m.%Y}" in part(response)
    assert to_pay(response) == before - Decimal("321.00")


def test_an_autopayment_set_up_and_stopped_shows_at_once(page, customer, account, demo_acquirer):
    assert "Автоплатёж</a>: не подключён" in part(page())
    autopayment = start_setup(user=customer, account=account, terms=Terms(15, Decimal("5000.00")), return_url="/")
    response = page()
    assert drawn(response) and "Автоплатёж</a>: подключается" in part(response)
    stop(autopayment, AutoPayment.Stop.SETUP_FAILED, "Первый платёж не прошёл.")
    response = page()
    assert drawn(response) and '<span class="overdue">остановлен</span>' in part(response)


def test_an_account_added_or_removed_shows_at_once(page, customer, sverdlovsk):
    page()
    more = make_account(sverdlovsk, "660100000055", house="5")
    link = AccountLink.objects.create(user=customer, account=more)
    response = page()
    assert drawn(response) and "660100000055" in part(response)
    link.delete()
    response = page()  # the one card again: as the first view drew it, kept
    assert "660100000055" not in part(response) and "660100000001" in part(response)


def test_the_regions_name_edited_shows_at_once(page, account):
    page()
    Region.objects.filter(pk=account.region_id).update(name="Свердловская область (филиал)")
    response = page()
    assert drawn(response) and "<dd>Свердловская область (филиал)</dd>" in part(response)


def test_the_due_date_passing_shows_at_once(client, customer, account):
    """The card is drawn for a day: as of which date, and whether the due date has passed. Ten
    minutes across midnight, well within the time the cache keeps it."""
    make_billed(account, paid="100.00")  # October's bill still owed
    zone = timezone.get_current_timezone()
    with time_machine.travel(datetime(2026, 11, 2, 12, 0, tzinfo=zone), tick=False):
        customer_login(client, customer)
        first = home(client)
    assert to_pay(first) and due(first) > date(2026, 11, 2)
    evening = datetime.combine(due(first), time(23, 55), zone)
    with time_machine.travel(evening, tick=False):
        home(client)
        response = home(client)
        assert not drawn(response) and "срок прошёл" not in part(response)
        assert f"<dt>На дату</dt><dd>{due(first):%d.%m.%Y}</dd>" in part(response)
    with time_machine.travel(evening + timedelta(minutes=10), tick=False):
        response = home(client)
        assert drawn(response) and '<span class="overdue">срок прошёл</span>' in part(response)
        assert f"<dt>На дату</dt><dd>{due(first) + timedelta(days=1):%d.%m.%Y}</dd>" in part(response)


def test_online_payment_switched_off_shows_at_once(page, settings, demo_acquirer):
    response = page()
    assert "Оплатить<span" in part(response) and "Автоплатёж</a>" in part(response)
    settings.DEBUG = False  # the demo acquirer off, no shop configured: no online payment
    response = page()
    assert drawn(response) and "Оплатить<span" not in part(response) and "Автоплатёж</a>" not in part(response)


def test_a_customer_never_sees_anothers_cards(client, customer, account, sverdlovsk):
    """Two customers whose accounts look alike (same house and flat, same bills) each see their
    own number; and an account passed from one to the other is drawn for its new holder."""
    twin = make_account(sverdlovsk, "660100000002")
    other = make_customer("+79120000002", twin)
    for each in (account, twin):
        make_billed(each)
    customer_login(client, customer)
    home(client)
    assert "660100000001" in part(home(client))
    customer_login(client, other)
    response = home(client)
    assert drawn(response) and "660100000002" in part(response) and "660100000001" not in part(response)
    AccountLink.objects.filter(user=other, account=twin).delete()
    AccountLink.objects.filter(user=customer, account=account).update(user=other)
    response = home(client)
    assert drawn(response) and "660100000001" in part(response) and "660100000002" not in part(response)
