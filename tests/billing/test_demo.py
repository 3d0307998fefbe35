"""The demo data: what it holds, and that the README tells the truth about it.

Loading from scratch and idempotence: test_demo_load.py."""

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
import re

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
import pytest

from kabinet.billing import demo
from kabinet.billing.balances import summaries
from kabinet.billing.bill_jobs import bill_months
from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount, Premises, Region
from kabinet.exchange import demo as exchange_demo
from kabinet.identity.accounts import check_linkable
from kabinet.identity.login import Outcome, authenticate_customer
from kabinet.identity.models import User
from kabinet.identity.phones import display_phone
from kabinet.readings import demo as history
from kabinet.readings.models import Meter, Reading

README = Path(__file__).resolve().parents[2] / "README.md"
IP = "203.0.113.7"


@pytest.fixture(scope="module")
def _demo_module(django_db_setup, django_db_blocker) -> Iterator[demo.Report]:
    """The demo loaded once for this module (registry and every account's history: a few
    seconds), inside a transaction rolled back when the module is done; each test still runs
    in its own savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        report = exchange_demo.load_demo()
        yield report
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


def readme_accounts() -> list[str]:
    """Every account number in the README's tables: a row's first cell of digits."""
    rows = (line.strip().strip("|").split("|") for line in README.read_text(encoding="utf-8").splitlines())
    return [cells[0].strip() for cells in rows if re.fullmatch(r"\d{9,12}", cells[0].strip())]


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
    line = readme_row(display_phone(spec.phone).replace("\u00a0", " "))
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


# --- Every account's history ----------------------------------------------------------------
def per_account(queryset, key: str = "account") -> dict[int, int]:
    return dict(queryset.values_list(key).annotate(n=Count("period", distinct=True)).values_list(key, "n"))


def test_every_account_has_a_meter_and_two_years_of_history(loaded):
    """Not only the demo customers': whoever registers any account sees a full cabinet."""
    ids = set(PersonalAccount.objects.values_list("pk", flat=True))
    assert len(ids) > 3300
    assert set(Meter.objects.values_list("account", flat=True)) == ids
    assert set(per_account(Accrual.objects).items()) == {(pk, history.MONTHS) for pk in ids}
    assert set(per_account(Reading.objects, "meter__account").items()) == {(pk, history.MONTHS) for pk in ids}
    assert min(per_account(MonthBalance.objects).values()) >= history.MONTHS
    assert set(Payment.objects.values_list("account", flat=True)) == ids


def test_histories_differ_and_some_owe(loaded):
    """Generated from each account's seed: tariff zones, heating and payers vary."""
    assert set(Meter.objects.values_list("zones", flat=True)) == {1, 2, 3}
    heated = Accrual.objects.filter(service__code="heating").values("account").distinct().count()
    assert 0.3 < heated / PersonalAccount.objects.count() < 0.7
    specs = [history.history_spec(n, f) for n, f in PersonalAccount.objects.values_list("number", "premises__flat")]
    payers = Counter(spec.payer for spec in specs)
    assert 0.05 < payers["debtor"] / len(specs) < 0.15 and 0.05 < payers["overpays"] / len(specs) < 0.15
    accounts = list(PersonalAccount.objects.filter(status=PersonalAccount.Status.ACTIVE).select_related("region"))
    cards = summaries(accounts, timezone.localdate())
    assert any(card.to_pay for card in cards) and any(card.overpaid for card in cards)


def test_closed_accounts_history_ends_when_they_closed(loaded):
    olga = PersonalAccount.objects.get(number="660100022222")
    periods = sorted(set(olga.accruals.values_list("period", flat=True)))
    assert (periods[0], periods[-1]) == (date(2024, 1, 1), date(2025, 12, 1))
    assert not olga.meters.get().is_active, "the meter left with the closed account"


def test_history_is_deterministic(loaded):
    today = date(2026, 11, 29)
    spec = history.history_spec("660100044441", "3")
    assert history.plan_history(spec, today) == history.plan_history(spec, today)
    other = history.plan_history(history.history_spec("660100044442", "14"), today)
    assert other.readings != history.plan_history(spec, today).readings


def test_stored_rows_read_back_as_planned(loaded):
    """The bulk INSERTs bypass the ORM: dates, time zones and kopecks must still round-trip."""
    account = PersonalAccount.objects.get(number="660100044441")
    plan = history.plan_history(history.history_spec(account.number, "3"), timezone.localdate())
    stored = Reading.objects.filter(meter__account=account).order_by("period")
    assert [(r.period, r.values, r.taken_at, r.source) for r in stored] == [
        (r.period, r.values, r.taken_at, r.source) for r in plan.readings
    ]
    accruals = Accrual.objects.filter(account=account).order_by("period", "service__ordering", "zone")
    assert sorted((a.period, a.service.code, a.zone, a.volume, a.tariff, a.amount) for a in accruals) == sorted(
        (a.period, a.service, a.zone, a.volume, a.tariff, a.amount) for a in plan.accruals
    )
    assert sorted((p.paid_on, p.amount) for p in account.payments.all()) == sorted(
        (p.paid_on, p.amount) for p in plan.payments
    )


@pytest.mark.parametrize("number", readme_accounts())
def test_readme_accounts_show_a_full_cabinet(loaded, number):
    """Every account the README names: a meter, 24 months of accruals, a bill to download."""
    account = PersonalAccount.objects.select_related("region").get(number=number)
    assert account.meters.exists()
    assert account.accruals.values("period").distinct().count() == history.MONTHS
    if account.is_active:
        assert bill_months(account, timezone.localdate()), "the «Квитанция» page lists a month"
        (card,) = summaries([account], timezone.localdate())
        assert card.balance is not None and card.last_payment is not None


def test_readme_names_every_free_account_and_showcase():
    assert set(demo.FREE_ACCOUNTS) <= set(readme_accounts())
    assert {spec.number for spec in demo.SHOWCASE} <= set(readme_accounts())


def test_the_readme_histories(loaded):
    """What the README promises about Анна's and Пётр's accounts."""
    today = timezone.localdate()
    cards = {
        card.account.number: card
        for card in summaries(list(PersonalAccount.objects.filter(link__isnull=False).select_related("region")), today)
    }
    assert cards["660100012345"].overpaid > 0
    assert cards["660100054321"].to_pay > 0
    recalculated = Accrual.objects.get(account__number="660100054321", recalculation__lt=0)
    latest = Accrual.objects.filter(account__number="660100054321").latest("period").period
    months = {"three": 3, "four": 4, "five": 5, "six": 6}
    said = re.search(r"\(660100054321, (\w+) months before its latest bill\)", README.read_text(encoding="utf-8"))
    assert said, "README.md no longer says when 660100054321's recalculation is"
    assert (latest.year - recalculated.period.year) * 12 + latest.month - recalculated.period.month == months.get(
        said.group(1)
    )
    assert Meter.objects.get(account__number="660100011111").verification_due < today


@pytest.mark.parametrize("month", range(1, 13))
def test_an_overpayer_is_ahead_on_every_day_of_the_month(month):
    """«Переплата» whatever the day: on the 1st the month just billed is unpaid by whoever pays
    on the 3rd–12th, and an overpayer's surplus must not turn into a debt until then."""
    numbers = ["660100012345", *(f"6601000{n:05d}" for n in range(100))]
    overpayers = [spec for spec in map(history.history_spec, numbers, ["5"] * len(numbers)) if spec.payer == "overpays"]
    assert len(overpayers) > 3
    for day in range(1, 14):
        for spec in overpayers:
            plan = history.plan_history(spec, date(2027, month, day))
            balance = sum(row.total for row in plan.accruals) - sum(row.amount for row in plan.payments)
            assert balance < 0, (spec.number, date(2027, month, day), balance)
