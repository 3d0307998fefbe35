"""The admin shows services and tariffs for editing and what came from billing (accruals,
payments, balances) read-only; meters are kept up to date there, readings never edited."""

from datetime import date
from decimal import Decimal

from django.urls import reverse
import pytest

from kabinet.billing.balances import rebuild_balances
from kabinet.billing.models import Accrual, MonthBalance, Payment, Tariff
from kabinet.identity.models import User
from kabinet.readings.models import Meter, Reading
from tests.factories import add_reading, admin_login, electricity, make_meter

FROM_BILLING = ["accrual", "payment", "monthbalance"]


@pytest.fixture
def admin_client(client, account):
    service = electricity()
    Tariff.objects.create(region=account.region, service=service, zones=1, valid_from=date(2026, 7, 1),
                          rate_t1=Decimal("5.8200"))  # fmt: skip
    Accrual.objects.create(account=account, period=date(2026, 10, 1), service=service, volume=Decimal("171"),
                           tariff=Decimal("5.8200"), amount=Decimal("995.22"))  # fmt: skip
    Payment.objects.create(account=account, paid_on=date(2026, 10, 6), amount=Decimal("900.00"), channel="bank")
    rebuild_balances(account)
    meter = make_meter(account, zones=2, serial="55874715")
    first = add_reading(meter, date(2026, 10, 1), 78000, 44900)
    first.replaced_by = add_reading(meter, date(2026, 10, 1), 78083, 44942)
    first.save()
    admin_login(client, User.objects.create_superuser("+79990000000", "Admin-Demo-2026!"))
    return client


def url(model: str, view: str = "changelist", *args) -> str:
    app = "readings" if model in {"meter", "reading"} else "billing"
    return reverse(f"admin:{app}_{model}_{view}", args=args)


@pytest.mark.parametrize("model", ["service", "tariff", *FROM_BILLING, "meter", "reading"])
def test_changelists_show_the_account_data(admin_client, model):
    page = admin_client.get(url(model)).content.decode()
    expected = {"service": "Электроснабжение", "tariff": "5,8200", "meter": "55874715", "reading": "78083"}
    assert expected.get(model, "660100000001") in page


@pytest.mark.parametrize(
    "model, row",
    [("accrual", Accrual), ("payment", Payment), ("monthbalance", MonthBalance), ("reading", Reading)],
)
def test_what_came_from_billing_and_readings_cannot_be_changed(admin_client, model, row):
    obj = row.objects.first()
    assert admin_client.get(url(model, "add")).status_code == 403
    page = admin_client.get(url(model, "change", obj.pk)).content.decode()
    assert 'name="_save"' not in page, "view only"
    assert admin_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert row.objects.filter(pk=obj.pk).exists()


def test_a_meter_gets_its_new_verification_date(admin_client):
    meter = Meter.objects.get()
    page = admin_client.get(url("meter", "change", meter.pk)).content.decode()
    assert 'name="_save"' in page and "дата следующей поверки" in page.lower()
