"""«Начисления и платежи» keeps its balance card, charts and months rendered in the cache
(portal.fragments), keyed by the rows and the card's data they show: the page shows new data
right after whatever changed it. On PostgreSQL the history's rows are digested by the database
in the account card's statement (billing.history.history_digest_column), elsewhere by Python
(`History.fingerprint`): both are tested for the same changes."""

from collections import Counter
from datetime import date
from decimal import Decimal
import io

from django.db import connection
from django.db.models.signals import post_init
from django.urls import reverse
import pytest

from kabinet.billing.history import account_history
from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount, Service
from kabinet.exchange.runner import run_import
from kabinet.identity.models import AccountLink
from kabinet.payments.autopay_models import AutoPayment
from kabinet.payments.cards import customer_account_card
from tests.factories import csv_bytes, customer_login, make_account, make_billed, make_customer, paid_in_demo

HISTORY = "portal/accounts/_history.html"
CARD = "portal/accounts/_account.html"  # the balance card around the history
ACCRUALS = "region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason"


@pytest.fixture
def page(client, customer, account):
    make_billed(account)  # September and October 2026 billed, 1 000 ₽ paid on 05.10.2026
    customer_login(client, customer)

    def page():
        response = client.get(reverse("portal:account", args=[account.pk]))
        assert response.status_code == 200
        return response

    return page


def drawn(response) -> bool:
    return HISTORY in [t.name for t in response.templates]


def card_drawn(response) -> bool:
    return CARD in [t.name for t in response.templates]


def test_the_history_is_drawn_once_and_then_served_from_the_cache(page):
    first, second = page(), page()
    assert drawn(first) and card_drawn(first)
    assert not drawn(second) and not card_drawn(second)
    assert part(first) == part(second)  # the rest differs: CSP nonce, CSRF token
    assert card(first) == card(second)


def card(response) -> str:
    text = response.content.decode()
    return text[text.index('<div class="card balance-card">') : text.index('aria-labelledby="charts-title"')]


def part(response) -> str:
    text = response.content.decode()
    return text[text.index('aria-labelledby="charts-title"') : text.rindex("</section>")]


def test_an_online_payment_shows_at_once(page, customer, account, demo_acquirer):
    page()
    paid_in_demo(customer, account, "321.00")
    response = page()
    assert drawn(response)
    assert "321,00\u00a0₽ (" in response.content.decode()


def test_an_accruals_import_shows_at_once(page, account):
    page()
    november = f"66,{account.number},2026-11,electricity,1,100,6.7100,671.00,,"
    batch = run_import("accruals", io.BytesIO(csv_bytes(november, header=ACCRUALS)), file_name="a.csv", source="t")
    assert batch.status == "done", batch.message
    text = page().content.decode()
    assert "Начисления за ноябрь\u00a02026" in text and "671,00\u00a0₽" in text


def test_an_edit_that_leaves_the_balances_alone_shows_at_once(page, account):
    """A payment moved within its month and a service renamed in /admin/ rebuild no balance:
    the key is the rows themselves, not a version someone must bump."""
    page()
    Payment.objects.filter(account=account).update(paid_on=date(2026, 10, 7))
    Service.objects.filter(code="electricity").update(name="Электроэнергия")
    text = page().content.decode()
    assert "07.10.2026" in text and "05.10.2026" not in text
    assert "Электроэнергия (Т1)" in text


@pytest.fixture
def made():
    """Model instances made, by model name (every model's `post_init`)."""
    counts = Counter()

    def count(sender, **kwargs):
        counts[sender.__name__] += 1

    post_init.connect(count, weak=False)
    yield counts
    post_init.disconnect(count)


def test_from_the_cache_the_page_makes_no_accruals_or_payments(page, made):
    """A cache hit digests the history's rows and makes none of them, the balance card being
    kept too: making the months' instances was a fifth of the page's CPU (docs/performance.md
    «6b.», «6e.»)."""
    assert drawn(page())
    assert made["Accrual"] == 6 and made["Payment"] == 1 and made["MonthBalance"] == 2
    made.clear()
    response = page()
    assert not drawn(response)
    assert made["Accrual"] == made["Service"] == made["Payment"] == made["MonthBalance"] == 0
    assert "К оплате: <strong>" in response.content.decode()


def change_a_payments_date(account):
    Payment.objects.filter(account=account).update(paid_on=date(2026, 10, 7))


def rename_a_service(account):
    Service.objects.filter(code="electricity").update(name="Электроэнергия")


def import_accruals(account):
    november = f"66,{account.number},2026-11,electricity,1,100,6.7100,671.00,,"
    batch = run_import("accruals", io.BytesIO(csv_bytes(november, header=ACCRUALS)), file_name="a.csv", source="t")
    assert batch.status == "done", batch.message


def change_an_accruals_reason(account):
    Accrual.objects.filter(account=account).exclude(recalculation_reason="").update(recalculation_reason="Иное")


def change_a_closing_balance(account):
    MonthBalance.objects.filter(account=account, period=date(2026, 9, 1)).update(closing=1)


def swap_two_months_closing_balances(account):
    """A row's hash is a sum of its columns' (PostgreSQL's hash_record_extended): the rows' hashes
    summed would not see values swapped between rows."""
    september, october = MonthBalance.objects.filter(account=account).order_by("period")
    assert september.closing != october.closing
    september.closing, october.closing = october.closing, september.closing
    september.save()
    october.save()


CHANGES = [
    change_a_payments_date,
    rename_a_service,
    import_accruals,
    change_an_accruals_reason,
    change_a_closing_balance,
    swap_two_months_closing_balances,
]


def fingerprint(account) -> str:
    return account_history(account).fingerprint()


def digested_by_postgresql(account) -> str:
    """As the page reads it: with the account's card, by the account's customer."""
    if connection.vendor != "postgresql":
        pytest.skip("the history digested by the database is PostgreSQL's (elsewhere: the fingerprint)")
    link = AccountLink.objects.filter(account=account).first()
    user = link.user if link else make_customer(f"+7912{account.number[-7:]}", account)
    return customer_account_card(user, account.pk).history_digest


@pytest.mark.parametrize("digest", [fingerprint, digested_by_postgresql])
@pytest.mark.parametrize("change", CHANGES)
def test_the_digest_changes_with_any_row_and_only_then(account, change, digest):
    make_billed(account)
    before = digest(account)
    assert digest(account) == before
    Payment.objects.filter(account=account).update(channel="online")  # as it was: nothing changes
    assert digest(account) == before
    change(account)
    assert digest(account) != before


@pytest.mark.parametrize("digest", [fingerprint, digested_by_postgresql])
def test_values_swapped_between_rows_change_the_digest(account, digest):
    make_billed(account)
    first = Payment.objects.get(account=account)
    second = Payment.objects.create(account=account, paid_on=date(2026, 10, 20), amount=Decimal("7.00"), channel="bank")
    before = digest(account)
    Payment.objects.filter(pk=first.pk).update(amount=second.amount)
    Payment.objects.filter(pk=second.pk).update(amount=first.amount)
    assert digest(account) != before


@pytest.mark.parametrize("digest", [fingerprint, digested_by_postgresql])
def test_an_online_payment_changes_the_digest(customer, account, demo_acquirer, digest):
    make_billed(account)
    before = digest(account)
    paid_in_demo(customer, account, "321.00")
    assert digest(account) != before


@pytest.mark.parametrize("digest", [fingerprint, digested_by_postgresql])
def test_the_digest_is_the_accounts_own(account, sverdlovsk, digest):
    """Two accounts billed alike have the same rows but their own ids in them."""
    other = make_account(sverdlovsk, "660100000055", house="5")
    make_billed(account)
    make_billed(other)
    assert digest(account) != digest(other)


def test_no_history_has_a_digest_of_its_own(account):
    if connection.vendor != "postgresql":
        pytest.skip("the history digested by the database is PostgreSQL's")
    empty = digested_by_postgresql(account)
    make_billed(account)
    assert digested_by_postgresql(account) != empty


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_of_the_rows_shows_on_the_page_at_once(page, account, change):
    page()
    assert not drawn(page())
    change(account)
    assert drawn(page())


def test_the_balance_card_shows_an_autopayment_at_once(page, customer, account, demo_acquirer):
    page()
    AutoPayment.objects.create(account=account, user=customer, status="active", day=15, cap=Decimal("5000.00"))
    response = page()
    assert card_drawn(response) and not drawn(response)  # the history kept as it was
    assert "15-го числа" in card(response)


def test_the_balance_card_follows_the_account_and_online_payment(page, account, demo_acquirer, settings):
    assert "Оплатить" in card(page())
    PersonalAccount.objects.filter(pk=account.pk).update(status=PersonalAccount.Status.CLOSED)
    assert "Оплатить" not in card(page())
    PersonalAccount.objects.filter(pk=account.pk).update(status=PersonalAccount.Status.ACTIVE)
    assert "Оплатить" in card(page())
    settings.DEBUG = False  # no demo acquirer, no shop: no online payment
    assert "Оплатить" not in card(page())


def test_a_customer_never_gets_anothers_card(client, page, customer, account, sverdlovsk, demo_acquirer):
    """The account's next holder sees neither the autopayment of the one before nor its terms;
    and an account billed alike shows its own links."""
    AutoPayment.objects.create(account=account, user=customer, status="active", day=15, cap=Decimal("5000.00"))
    assert "15-го числа" in card(page())
    AccountLink.objects.filter(account=account).delete()
    boris = make_customer("+79120000002", account, first_name="Борис")
    other = make_account(sverdlovsk, "660100000055", house="5")
    make_billed(other)
    AccountLink.objects.create(user=boris, account=other)
    customer_login(client, boris)
    url = reverse("portal:account", args=[account.pk])
    text = card(client.get(url))
    assert "15-го числа" not in text and "не подключён" in text
    text = card(client.get(reverse("portal:account", args=[other.pk])))
    assert reverse("portal:pay", args=[other.pk]) in text and reverse("portal:pay", args=[account.pk]) not in text


def test_an_account_without_accruals_keeps_its_empty_state(client, customer, account):
    customer_login(client, customer)
    url = reverse("portal:account", args=[account.pk])
    first, second = client.get(url), client.get(url)
    assert card_drawn(first) and not card_drawn(second)
    assert "Начислений по этому лицевому счёту пока нет." in second.content.decode()
    make_billed(account)
    assert "К оплате: <strong>" in client.get(url).content.decode()
