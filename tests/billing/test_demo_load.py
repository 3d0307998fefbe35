"""`manage.py load_demo` on an empty database, and again: idempotent, and it keeps admin edits."""

from io import StringIO

from django.core.management import call_command
import pytest

from kabinet.billing import demo
from kabinet.billing.models import PersonalAccount, Premises, Region
from kabinet.identity.models import AccountLink, ConsentAcceptance, User


@pytest.fixture
def loaded(db) -> demo.Report:
    return demo.load_demo()


def counts() -> dict[str, int]:
    return {
        "regions": Region.objects.count(),
        "premises": Premises.objects.count(),
        "accounts": PersonalAccount.objects.count(),
        "users": User.objects.count(),
        "links": AccountLink.objects.count(),
        "consents": ConsentAcceptance.objects.count(),
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
    again = demo.load_demo()
    assert not again.changed
    assert counts() == before


def test_command_twice(db):
    first, second = StringIO(), StringIO()
    call_command("load_demo", stdout=first)
    before = counts()
    call_command("load_demo", stdout=second)
    assert "Demo data loaded" in first.getvalue()
    assert "already loaded" in second.getvalue()
    assert counts() == before


def test_keeps_what_the_admin_changed(loaded):
    Region.objects.filter(code="66").update(registry_available=False, contact_phone="8-800-000-00-00")
    demo.load_demo()
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
    report = demo.load_demo()
    assert not report.changed
    assert any("+79120000001 not created" in line for line in report.lines)
    assert not User.objects.filter(phone="+79120000001").exists()
