"""Money is Decimal and rounds to kopecks in one place; balances add up month by month."""

from datetime import date
from decimal import Decimal
from pathlib import Path
import re

from django.conf import settings
import pytest

from kabinet.billing.balances import due_date, rebuild_balances
from kabinet.billing.models import Accrual, MonthBalance, Payment, Service
from kabinet.billing.money import (
    charge,
    closing_balance,
    format_quantity,
    format_rub,
    in_kopecks,
    is_whole_kopecks,
    to_kopecks,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1.005", "1.01"), ("1.004", "1.00"), ("-1.005", "-1.01"), ("2.675", "2.68"), (7, "7.00"), ("0.125", "0.13")],
)
def test_rounding_is_half_up_to_the_kopeck(value, expected):
    assert to_kopecks(Decimal(value) if isinstance(value, str) else value) == Decimal(expected)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        to_kopecks(0.1 + 0.2)


def test_charge_and_kopecks():
    assert charge(Decimal("245"), Decimal("5.8200")) == Decimal("1425.90")
    assert charge(Decimal("1.215"), Decimal("3079.54")) == Decimal("3741.64")  # 3741.6411 → 3741.64
    assert in_kopecks(Decimal("1425.9")) == 142590
    assert closing_balance(Decimal("100.00"), Decimal("50.10"), Decimal("200")) == Decimal("-49.90")


def test_rounding_lives_in_one_module():
    """`quantize` appears only in money.py: nobody rounds money their own way."""
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in Path(settings.BASE_DIR, "kabinet").rglob("*.py")
        if "quantize(" in path.read_text(encoding="utf-8") and path.name != "money.py"
    ]
    assert offenders == []


def test_no_float_fields_for_money():
    from django.apps import apps
    from django.db import models

    floats = [
        f"{m.__name__}.{f.name}" for m in apps.get_models() for f in m._meta.fields if isinstance(f, models.FloatField)
    ]
    assert floats == []
    source = Path(settings.BASE_DIR, "kabinet", "billing").rglob("*.py")
    assert not any(re.search(r"\bfloat\(", p.read_text(encoding="utf-8")) for p in source)


@pytest.fixture
def electricity(db):
    return Service.objects.create(code="electricity", name="Электроснабжение", unit="кВт·ч")


def accrue(account, service, period, amount, recalculation="0"):
    money = {"amount": Decimal(amount), "recalculation": Decimal(recalculation)}
    return Accrual.objects.create(
        account=account, period=period, service=service, volume=Decimal("100"), tariff=Decimal("5"), **money
    )


def test_balances_roll_month_to_month(account, electricity):
    accrue(account, electricity, date(2026, 8, 1), "1000.00")
    accrue(account, electricity, date(2026, 9, 1), "900.00", recalculation="-150.50")
    Payment.objects.create(account=account, paid_on=date(2026, 9, 5), amount=Decimal("1000.00"), channel="online")
    Payment.objects.create(account=account, paid_on=date(2026, 10, 7), amount=Decimal("800.00"), channel="bank")
    rebuild_balances(account)
    rows = [
        (b.period.month, b.opening, b.accrued, b.paid, b.closing) for b in MonthBalance.objects.filter(account=account)
    ]
    assert rows == [
        (8, Decimal("0.00"), Decimal("1000.00"), Decimal("0.00"), Decimal("1000.00")),
        (9, Decimal("1000.00"), Decimal("749.50"), Decimal("1000.00"), Decimal("749.50")),
        (10, Decimal("749.50"), Decimal("0.00"), Decimal("800.00"), Decimal("-50.50")),
    ]
    rebuild_balances(account)  # re-running changes nothing
    assert MonthBalance.objects.filter(account=account).count() == 3


def test_due_date_is_the_regions_day_of_the_next_month(sverdlovsk):
    assert due_date(date(2026, 10, 1), sverdlovsk) == date(2026, 11, 10)
    assert due_date(date(2026, 12, 1), sverdlovsk) == date(2027, 1, 10)


@pytest.mark.parametrize(
    "value, shown",
    [("5.820", "5,82"), ("3079.54", "3\u00a0079,54"), ("171", "171"), ("3.485", "3,485"), ("0", "0"), ("1E+2", "100")],
)
def test_volumes_and_tariffs_have_a_decimal_comma_and_grouped_thousands(value, shown):
    assert format_quantity(Decimal(value)) == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        ("1234.5", "1\u00a0234,50\u00a0₽"),
        ("-0.005", "−0,01\u00a0₽"),
        ("0", "0,00\u00a0₽"),
        ("1000000", "1\u00a0000\u00a0000,00\u00a0₽"),
    ],
)
def test_roubles_are_written_with_grouped_thousands_a_comma_and_the_sign(value, shown):
    assert format_rub(Decimal(value)) == shown


@pytest.mark.parametrize(
    ("typed", "whole"),
    [("1500", True), ("1500.5", True), ("1500.50", True), ("1500.000", True), ("0", True), ("1e100", True),
     ("12.345", False), ("1e-3", False), ("NaN", False), ("Infinity", False), ("0." + "0" * 999 + "1", False)],
)  # fmt: skip
def test_whole_kopecks_are_read_off_the_digits_without_overflow(typed, whole):
    assert is_whole_kopecks(Decimal(typed)) is whole
