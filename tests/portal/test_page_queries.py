"""How many SQL queries each customer page makes (issue 15, docs/performance.md «Fewer queries
per page»), whatever the number of accounts, meters, readings or months: a query added to a
page fails here. Every signed-in page reads the user with whether a second factor is on (one
query, identity.factors); the footer's contacts are read once per process (billing.registry),
so each count is taken after a first page. The counts leave the session's read out (`get`)."""

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
import pytest

from kabinet.billing.models import Region
from kabinet.billing.periods import add_months
from kabinet.identity.models import AccountLink
from kabinet.payments.autopay_models import AutoPayment
from tests.factories import (
    add_reading,
    api_token,
    customer_login,
    make_account,
    make_appeal,
    make_billed,
    make_meter,
    make_online_payment,
    orm_compilations,
)

THIS_MONTH = timezone.localdate().replace(day=1)


@pytest.fixture
def signed_in(client, customer):
    customer_login(client, customer)
    assert client.get(reverse("portal:tour")).status_code == 200  # the footer's contacts read
    return client


def get(client, django_assert_num_queries, url: str, queries: int | None) -> str:
    """The page's own queries: the session's read is left out, since it is in the database with
    the tests' default sessions and in Redis (`cached_db`) when REDIS_URL is set, as in CI's
    PostgreSQL stage and in production."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    own = [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]
    assert queries is None or len(own) == queries, own
    return response.content.decode()


def test_a_plain_page_reads_only_the_user(signed_in, django_assert_num_queries):
    get(signed_in, django_assert_num_queries, reverse("portal:tour"), 1)


def test_login_reads_the_regions_once(client, sverdlovsk, django_assert_num_queries):
    client.get(reverse("portal:login"))
    get(client, django_assert_num_queries, reverse("portal:login"), 1)


def test_home_is_one_query_for_its_cards(signed_in, customer, account, sverdlovsk, django_assert_num_queries):
    make_billed(account)
    more = make_account(sverdlovsk, "660100000055", house="5")
    AccountLink.objects.create(user=customer, account=more)
    page = get(signed_in, django_assert_num_queries, reverse("portal:home"), 2)
    assert "660100000055" in page and "Последний платёж" in page


def test_home_reads_payments_in_progress_and_autopayments_only_when_there_are_some(
    signed_in, customer, account, sverdlovsk, django_assert_num_queries
):
    for number in ("660100000055", "660100000056"):
        more = make_account(sverdlovsk, number, house=number[-2:])
        AccountLink.objects.create(user=customer, account=more)
        make_online_payment(more, "100.00", status="pending")
        AutoPayment.objects.create(account=more, user=customer, status="active", day=15, cap=Decimal("5000.00"))
    page = get(signed_in, django_assert_num_queries, reverse("portal:home"), 4)  # + setup payments joined
    assert page.count("Платёж в обработке") == 2 and page.count("15-го числа") == 2


def test_charges_read_the_account_and_then_the_history_three_times(signed_in, account, django_assert_num_queries):
    make_billed(account)
    url = reverse("portal:account", kwargs={"account_id": account.pk})
    get(signed_in, django_assert_num_queries, url, 2 + 3)
    # From the cache: on PostgreSQL the history's digest came with the account, elsewhere its
    # rows are read to digest.
    get(signed_in, django_assert_num_queries, url, 2 if connection.vendor == "postgresql" else 5)


def test_on_postgresql_charges_from_the_cache_read_the_user_and_the_account(signed_in, account):
    """A cache hit reads the user and the account's card with the history's digest, computed by
    PostgreSQL over every row of its three reads: no row of the history (docs/performance.md «6e.»,
    step 11)."""
    if connection.vendor != "postgresql":
        pytest.skip("the history digested by the database is PostgreSQL's (elsewhere: the fingerprint)")
    make_billed(account)
    url = reverse("portal:account", kwargs={"account_id": account.pk})
    signed_in.get(url)
    with CaptureQueriesContext(connection) as captured:
        page = signed_in.get(url).content.decode()
    own = [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]
    assert len(own) == 2, own
    user, card = own
    assert '"identity_user"' in user and card.startswith('SELECT "billing_personalaccount"."id"')
    assert "hash_record_extended" in card
    assert all(table in card for table in ('"billing_monthbalance"', '"billing_accrual"', '"billing_payment"'))
    assert "К оплате: <strong>" in page and 'aria-labelledby="charts-title"' in page


def test_charges_read_payments_in_progress_and_the_autopayment_only_when_there_are_some(
    signed_in, customer, account, django_assert_num_queries
):
    make_billed(account)
    make_online_payment(account, "100.00", status="pending")
    AutoPayment.objects.create(account=account, user=customer, status="active", day=15, cap=Decimal("5000.00"))
    url = reverse("portal:account", kwargs={"account_id": account.pk})
    page = get(signed_in, django_assert_num_queries, url, 4 + 3)  # + the history's three reads
    assert "Платёж в обработке" in page and "15-го числа" in page


def test_bills_are_the_account_with_its_ebill_and_the_months(signed_in, account, django_assert_num_queries):
    # Was five: the account, whether it has the e-bill, the months, then their balances.
    for n in range(1, 30, 2):
        make_billed(account, period=add_months(THIS_MONTH, -n))
    url = reverse("portal:bills", args=[account.pk])
    page = get(signed_in, django_assert_num_queries, url, 3)
    assert page.count("Скачать PDF") == 30
    # The months kept drawn: on PostgreSQL their digest comes with the account (portal.fragments).
    kept = get(signed_in, django_assert_num_queries, url, 2 if connection.vendor == "postgresql" else 3)
    assert kept.count("Скачать PDF") == 30


@pytest.fixture
def payments_on(demo_acquirer):
    """Online payment available: «Оплатить» draws its form and «Автоплатёж» its setup."""


def test_pay_reads_payments_in_progress_only_when_there_are_some(
    signed_in, account, payments_on, django_assert_num_queries
):
    # Was four: the account, its latest balance and latest bill, and the payments in progress.
    make_billed(account)
    url = reverse("portal:pay", args=[account.pk])
    assert 'name="amount"' in get(signed_in, django_assert_num_queries, url, 2)
    make_online_payment(account, "100.00", status="pending")
    assert "Платёж в обработке" in get(signed_in, django_assert_num_queries, url, 3)


def test_autopayment_reads_the_autopayment_only_when_there_is_one(
    signed_in, customer, account, payments_on, django_assert_num_queries
):
    # Was four or five: the account, the autopayment, the latest balance and the latest bill.
    make_billed(account)
    url = reverse("portal:autopayment", args=[account.pk])
    assert "Подключить автоплатёж" in get(signed_in, django_assert_num_queries, url, 2)
    AutoPayment.objects.create(account=account, user=customer, status="stopped", day=15, cap=Decimal("5000.00"))
    get(signed_in, django_assert_num_queries, url, 4)  # + the autopayment and its last charge


def test_appeals_are_one_query_a_page(signed_in, customer, account, reason, django_assert_num_queries):
    for _ in range(3):
        make_appeal(customer, account, reason, files=0)
    page = get(signed_in, django_assert_num_queries, reverse("portal:appeals"), 2)
    assert page.count("/appeals/") >= 3


def own_compilations(compiled: list[str]) -> list[str]:
    """The SQL compiled for the page, the session's read (tests' database sessions) left out."""
    return [sql for sql in compiled if '"django_session"' not in sql]


def _more_accounts(customer, sverdlovsk, count: int) -> None:
    for n in range(count):
        AccountLink.objects.create(user=customer, account=make_account(sverdlovsk, f"66010000100{n}", flat=str(n)))


@pytest.mark.parametrize("more", [0, 3])
def test_a_new_appeal_reads_its_accounts_with_the_taxonomys_digest(
    signed_in, customer, sverdlovsk, reason, more, django_assert_num_queries
):
    """The user and the customer's active accounts with the taxonomy's digest (docs/performance.md
    step 21: was four, the topics and the reasons too; seven before step 17), compiled once, whatever
    the accounts: the fields below the account's are kept drawn under the digest. Elsewhere than on
    PostgreSQL the digest is NULL and the topics and reasons are read as the key (four)."""
    _more_accounts(customer, sverdlovsk, more)
    expected = 2 if connection.vendor == "postgresql" else 4
    get(signed_in, django_assert_num_queries, reverse("portal:appeal_new"), None)  # drawn and kept
    with orm_compilations() as compiled:
        page = get(signed_in, django_assert_num_queries, reverse("portal:appeal_new"), expected)
    # the accounts, an empty choice and two topics, an empty choice and one reason
    assert page.count("<option value=") == 1 + more + 3 + 2 and "Справка о временном отсутствии." in page
    assert not own_compilations(compiled)


def test_on_postgresql_a_new_appeal_reads_no_topic_or_reason_once_drawn(signed_in, customer, reason):
    if connection.vendor != "postgresql":
        pytest.skip("the taxonomy digested by the database is PostgreSQL's (elsewhere: its rows)")
    url = reverse("portal:appeal_new")
    signed_in.get(url)
    with CaptureQueriesContext(connection) as captured:
        page = signed_in.get(url).content.decode()
    own = [q["sql"] for q in captured.captured_queries if '"django_session"' not in q["sql"]]
    assert len(own) == 2, own
    user, accounts = own
    assert '"identity_user"' in user and accounts.startswith('SELECT "billing_personalaccount"."id"')
    assert "hash_record_extended" in accounts and '"appeals_reason"' in accounts and '"appeals_topic"' in accounts
    assert "Перерасчёт" in page and "Справка о временном отсутствии." in page


@pytest.mark.parametrize("more", [0, 3])
def test_a_complaint_reads_its_accounts_once(signed_in, customer, sverdlovsk, more, django_assert_num_queries):
    """The user and the customer's active accounts (was five: the accounts twice as options,
    their first and whether there is one)."""
    _more_accounts(customer, sverdlovsk, more)
    get(signed_in, django_assert_num_queries, reverse("portal:complaint_new"), 2)
    with orm_compilations() as compiled:
        page = get(signed_in, django_assert_num_queries, reverse("portal:complaint_new"), 2)
    assert page.count("<option value=") == 1 + more + 3  # the accounts, the documents
    assert not own_compilations(compiled)


def test_readings_are_one_query_for_every_meter(signed_in, account, django_assert_num_queries):
    """The user, then the account with its meters and their readings in one statement (the
    window open: its month is the day's own, the one guessed first)."""
    # As an import sets it (no signal): a region saved re-reads the footer's contacts once.
    Region.objects.filter(pk=account.region_id).update(readings_from_day=1, readings_to_day=31)
    for serial in ("01234567", "76543210", "11112222"):
        meter = make_meter(account, serial=serial)
        add_reading(meter, add_months(THIS_MONTH, -2), 4800)
        add_reading(meter, add_months(THIS_MONTH, -1), 5000)
        add_reading(meter, THIS_MONTH, 5100)
    page = get(signed_in, django_assert_num_queries, reverse("portal:readings", kwargs={"account_id": account.pk}), 2)
    assert page.count("76543210") >= 1


def test_the_profile_reads_the_user_then_its_accounts_with_its_facts(
    signed_in, customer, sverdlovsk, django_assert_num_queries
):
    """The user (with whether a second factor is on), then the accounts with the pending e-mail and
    the tokens' count as columns of each account's row: two statements for any number of accounts
    and tokens (five before docs/performance.md step 18, three before step 22); three for a
    customer who holds no account (the facts read on their own)."""
    for number in ("660100000055", "660100000056"):
        AccountLink.objects.create(user=customer, account=make_account(sverdlovsk, number, house=number[-2:]))
    api_token(customer)
    api_token(customer)
    signed_in.post(reverse("portal:email"), {"email": "new@example.ru"})
    page = get(signed_in, django_assert_num_queries, reverse("portal:profile"), 2)
    assert "660100000056" in page and "Токенов: 2." in page and "new@<wbr>example<wbr>.ru" in page
    AccountLink.objects.filter(user=customer).delete()
    page = get(signed_in, django_assert_num_queries, reverse("portal:profile"), 3)
    assert "Лицевых счетов пока нет." in page and "Токенов: 2." in page and "new@<wbr>example<wbr>.ru" in page


def test_the_tokens_page_reads_the_accounts_of_its_tokens_only_when_there_are_some(
    signed_in, customer, django_assert_num_queries
):
    # The user, then the accounts with the count of tokens in force (three before docs/performance.md step 25).
    page = get(signed_in, django_assert_num_queries, reverse("portal:tokens"), 2)
    assert "Токенов пока нет." in page
    api_token(customer)
    api_token(customer)
    page = get(signed_in, django_assert_num_queries, reverse("portal:tokens"), 4)  # + the tokens, their accounts
    assert page.count("660100000001") >= 3


def test_adding_an_account_reads_the_regions_once(signed_in, sverdlovsk, django_assert_num_queries):
    page = get(signed_in, django_assert_num_queries, reverse("portal:add_account"), 2)
    assert sverdlovsk.name in page
