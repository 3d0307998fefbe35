"""The demo data: what it holds, and that the README tells the truth about it.

Loading from scratch and idempotence: test_demo_load.py."""

from collections.abc import Iterator
from pathlib import Path
import re

from django.db import transaction
import pytest

from kabinet.billing import demo
from kabinet.billing.models import PersonalAccount, Premises, Region
from kabinet.identity.accounts import check_linkable
from kabinet.identity.login import Outcome, authenticate_customer
from kabinet.identity.models import User
from kabinet.identity.phones import display_phone

README = Path(__file__).resolve().parents[2] / "README.md"
IP = "203.0.113.7"


@pytest.fixture(scope="module")
def _demo_module(django_db_setup, django_db_blocker) -> Iterator[demo.Report]:
    """The demo loaded once for this module (it takes most of a second), inside a transaction
    rolled back when the module is done; each test still runs in its own savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield demo.load_demo()
        transaction.set_rollback(True)


@pytest.fixture
def loaded(_demo_module, db) -> demo.Report:
    return _demo_module


def readme_row(first_cell: str) -> str:
    """The README table row that starts with that cell (an account number or a phone)."""
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and first_cell in cells[:2]:
            return line
    raise AssertionError(f"README.md has no table row for {first_cell}")


# --- What it creates ----------------------------------------------------------------------
def test_regions(loaded):
    assert {"66", "59", "43", "18", "56"} <= set(Region.objects.values_list("code", flat=True))
    sverdlovsk = Region.objects.get(is_default=True)
    assert (sverdlovsk.code, sverdlovsk.name, sverdlovsk.contact_phone) == ("66", "Свердловский", "8-800-700-10-32")
    assert sverdlovsk.account_number_pattern == r"\d{12}"
    assert Region.objects.get(code="59").account_number_pattern == r"\d{10}"
    for region in Region.objects.all():
        assert re.fullmatch(r"8-800-\d{3}-\d{2}-\d{2}", region.contact_phone)
        assert re.fullmatch(r"https://[a-z]+\.example\.ru/feedback/", region.feedback_url)
        # 11 digits is a phone number in the login field, never an account number.
        assert not region.account_number_matches("7" * 11), region


def test_registry(loaded):
    ekb = PersonalAccount.objects.filter(region__code="66")
    assert ekb.count() >= 3000
    assert PersonalAccount.objects.filter(region__code="59").count() >= 300
    assert set(Premises.objects.filter(city="Екатеринбург").values_list("street", flat=True)) <= set(
        demo.EKATERINBURG_STREETS
    )
    houses = set(Premises.objects.values_list("house", flat=True))
    assert any(re.fullmatch(r"\d+[абв]", house) for house in houses)
    assert any("/" in house for house in houses)
    for account in ekb.select_related("premises"):
        assert re.fullmatch(r"\d{12}", account.number)


def test_closed_accounts_are_replaced_on_the_same_premises(loaded):
    closed = PersonalAccount.objects.filter(status=PersonalAccount.Status.CLOSED).select_related("replaced_by")
    total = PersonalAccount.objects.filter(region__code="66").count()
    assert 0.01 * total < closed.filter(region__code="66").count() < 0.04 * total
    for account in closed:
        assert account.closed_on is not None
        assert account.replaced_by.is_active
        assert account.replaced_by.premises_id == account.premises_id


def test_registry_is_deterministic(loaded):
    """The same seed, the same registry: what the README can name stays put."""
    plan = demo.REGISTRY_PLANS[0]
    assert demo.plan_registry(plan) == demo.plan_registry(plan)
    first = demo.plan_registry(plan)[0]
    assert Premises.objects.filter(street=first.street, house=first.house, accounts__number=first.number).exists()


# --- The README's accounts and logins -----------------------------------------------------
@pytest.mark.parametrize("spec", demo.SHOWCASE, ids=lambda spec: spec.number)
def test_showcase_account(loaded, spec):
    account = PersonalAccount.objects.select_related("premises", "region").get(
        region__code=spec.region_code, number=spec.number
    )
    assert (account.premises.street, account.premises.house, account.premises.flat) == (
        spec.street,
        spec.house,
        spec.flat,
    )
    assert account.is_active is not spec.is_closed
    if spec.is_closed:
        assert account.replaced_by.number == spec.replaced_by
    line = readme_row(spec.number)
    assert f"д. {spec.house}" in line and spec.street in line


@pytest.mark.parametrize("number", demo.FREE_ACCOUNTS)
def test_free_accounts_can_be_registered(loaded, number):
    account = PersonalAccount.objects.select_related("premises", "region").get(number=number)
    assert check_linkable(account.region, number, account.premises.house) == account
    assert "свобод" in readme_row(number).lower()


@pytest.mark.parametrize("spec", demo.CUSTOMERS, ids=lambda spec: spec.phone)
def test_customer(loaded, spec):
    user = User.objects.get(phone=spec.phone)
    assert user.check_password(demo.DEMO_PASSWORD)
    assert user.is_active is spec.is_active
    assert (user.email or "") == spec.email
    assert sorted(user.account_links.values_list("account__number", flat=True)) == sorted(spec.accounts)
    assert user.consents.exists()
    line = readme_row(display_phone(spec.phone))
    assert spec.last_name in line and (spec.email or "—") in line


def test_readme_names_the_passwords(loaded):
    text = README.read_text(encoding="utf-8")
    assert demo.DEMO_PASSWORD in text
    assert demo.ADMIN_PASSWORD in text and demo.ADMIN_PHONE in text


def test_superuser(loaded):
    admin = User.objects.get(phone=demo.ADMIN_PHONE)
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(demo.ADMIN_PASSWORD)


def login(identifier: str, region_code: str = "66") -> Outcome:
    region = Region.objects.get(code=region_code)
    return authenticate_customer(identifier, demo.DEMO_PASSWORD, region, IP).outcome


def test_logins_the_readme_promises(loaded):
    assert login("+7 912 000-00-01") is Outcome.OK
    assert login("anna@demo.kabinet.local") is Outcome.OK
    assert login("660100012345") is Outcome.OK
    assert login("8 912 000-00-02") is Outcome.OK  # Пётр, no e-mail
    assert login("5900012345", region_code="59") is Outcome.OK  # Мария, Пермский
    # G9: the number changed; by phone Ольга still gets in.
    assert login("660100022222") is Outcome.NOT_SERVED
    assert login("+79120000003") is Outcome.OK
    # G9: blocked.
    assert login("+79120000004") is Outcome.NOT_SERVED
    assert login("660100033333") is Outcome.NOT_SERVED


def test_registry_switched_off_gives_object_not_found(loaded, settings):
    settings.KABINET_REGISTRY_AVAILABLE = False
    assert login("660100012345") is Outcome.OBJECT_NOT_FOUND
