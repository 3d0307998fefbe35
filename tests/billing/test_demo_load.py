"""`manage.py load_demo` on an empty database, and again: idempotent, and it keeps admin edits.

These tests load a registry of 30 premises a city instead of 3 300 (the full one, with every
account's history, is checked once in test_demo.py): the steps are the same, only shorter."""

from dataclasses import replace
from datetime import date
from io import StringIO

from django.core.management import call_command
import pytest

from kabinet.billing import demo
from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount, Premises, Region
from kabinet.exchange import demo as exchange_demo
from kabinet.identity.models import AccountLink, ConsentAcceptance, User
from kabinet.readings import demo as history
from kabinet.readings.models import Meter, Reading


@pytest.fixture(autouse=True)
def small_registry(monkeypatch) -> None:
    monkeypatch.setattr(demo, "REGISTRY_PLANS", tuple(replace(plan, premises=30) for plan in demo.REGISTRY_PLANS))


@pytest.fixture
def loaded(db) -> demo.Report:
    """The regions, the registry (through the exchange) and the customers; no history yet."""
    return exchange_demo.load_registry()


def counts() -> dict[str, int]:
    return {
        "regions": Region.objects.count(),
        "premises": Premises.objects.count(),
        "accounts": PersonalAccount.objects.count(),
        "users": User.objects.count(),
        "links": AccountLink.objects.count(),
        "consents": ConsentAcceptance.objects.count(),
        "meters": Meter.objects.count(),
        "readings": Reading.objects.count(),
        "accruals": Accrual.objects.count(),
        "payments": Payment.objects.count(),
        "balances": MonthBalance.objects.count(),
    }


def test_first_run_reports_what_it_created(loaded):
    assert loaded.changed
    assert loaded.regions == len(demo.REGIONS)
    assert loaded.customers == len(demo.CUSTOMERS)
    assert loaded.superusers == 1
    assert loaded.accounts == PersonalAccount.objects.count()
    assert loaded.premises == Premises.objects.count()
    assert loaded.closed_accounts == PersonalAccount.objects.filter(status=PersonalAccount.Status.CLOSED).count()


# --- Idempotence --------------------------------------------------------------------------
def test_second_run_changes_nothing(loaded):
    before = counts()
    again = exchange_demo.load_registry()
    assert not again.changed
    assert counts() == before


def test_command_twice(db):
    first, second = StringIO(), StringIO()
    call_command("load_demo", stdout=first)
    before = counts()
    call_command("load_demo", stdout=second)
    assert "Demo data loaded" in first.getvalue()
    assert f"24 months of history (meter, readings, accruals, payments) for {before['accounts']} accounts" in (
        first.getvalue()
    )
    assert "already loaded" in second.getvalue()
    assert counts() == before
    assert before["meters"] == before["accounts"]


def test_history_second_run_changes_nothing(loaded):
    assert exchange_demo.load_histories()[0] == PersonalAccount.objects.count()
    before = counts()
    assert exchange_demo.load_histories() == (0, [])
    assert counts() == before


def test_history_fills_a_database_loaded_before_it_existed(loaded):
    """A database from before this history: the demo customers' accounts have theirs, the rest
    nothing. The next start fills the rest and leaves the others alone."""
    anna = PersonalAccount.objects.get(number="660100012345")
    Payment.objects.create(account=anna, paid_on=date(2026, 1, 5), amount=100, channel=Payment.Channel.BANK)
    exchange_demo.load_histories()
    assert list(anna.payments.values_list("amount", flat=True)) == [100], "an account with history is left alone"
    assert not anna.meters.exists()
    assert Meter.objects.count() == PersonalAccount.objects.count() - 1


def test_history_queries_do_not_grow_with_the_registry(db, monkeypatch, django_assert_max_num_queries):
    """Rows go in by the thousand (the exchange's staging and set-based merges, executemany for
    the portal's readings), never one INSERT per row or per account: that is what keeps `make
    run`'s first start short with 3 380 accounts. Three times the accounts cost a few more
    rounds, not queries in proportion."""
    exchange_demo.load_registry()
    services = history.ensure_services()
    for region in Region.objects.all():
        history.ensure_tariffs(region, services)  # created once; the counts below are the history's
    with django_assert_max_num_queries(400) as small:
        exchange_demo.load_histories()
    more = tuple(replace(plan, premises=90, number_prefix=plan.number_prefix + "7") for plan in demo.REGISTRY_PLANS)
    monkeypatch.setattr(demo, "REGISTRY_PLANS", more)
    exchange_demo.load_registry()
    filled = PersonalAccount.objects.count() - Meter.objects.count()
    assert filled > 150
    with django_assert_max_num_queries(400) as large:
        exchange_demo.load_histories()
    assert Meter.objects.count() == PersonalAccount.objects.count()
    assert len(large) - len(small) <= 5


def test_keeps_what_the_admin_changed(loaded):
    Region.objects.filter(code="66").update(registry_available=False, contact_phone="8-800-000-00-00")
    exchange_demo.load_registry()
    region = Region.objects.get(code="66")
    assert (region.registry_available, region.contact_phone) == (False, "8-800-000-00-00")


def test_a_visitor_holding_a_demo_account_does_not_break_the_next_start(loaded):
    """Deleting a demo customer and registering their account and e-mail must not make
    `make run` fail on its next load_demo."""
    anna = User.objects.get(phone="+79120000001")
    links = list(anna.account_links.values_list("account_id", flat=True))
    anna.delete()
    visitor = User.objects.create_user("+79125551234", "Visitor-2026!", email="anna@demo.kabinet.local")
    AccountLink.objects.create(user=visitor, account_id=links[0])
    report = exchange_demo.load_registry()
    assert not report.changed
    assert any("+79120000001 not created" in line for line in report.lines)
    assert not User.objects.filter(phone="+79120000001").exists()
