"""`manage.py load_demo` loads the demo's billing data as the exchange's files, through the
same import as billing's: the journal shows each kind's batch, a second start is a duplicate
that changes nothing, and a file the import refuses stops the demo loudly.

A registry of 30 premises a city (the full one is checked in tests/billing/test_demo.py)."""

from dataclasses import replace
from datetime import date
from io import StringIO

from django.core.management import CommandError, call_command
import pytest

from kabinet.billing import demo
from kabinet.billing.models import Accrual, MonthBalance, Payment, PersonalAccount, Region
from kabinet.exchange import demo as exchange_demo
from kabinet.exchange.models import BillingReading, ImportBatch
from kabinet.readings.models import Meter, Reading

KINDS = ["accounts", "meters", "readings", "accruals", "payments"]


@pytest.fixture(autouse=True)
def small_registry(monkeypatch) -> None:
    monkeypatch.setattr(demo, "REGISTRY_PLANS", tuple(replace(plan, premises=30) for plan in demo.REGISTRY_PLANS))


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (PersonalAccount, Meter, Reading, BillingReading, Accrual, Payment, MonthBalance)
    }


def test_the_billing_data_goes_through_the_exchange(db):
    output = load_demo()
    batches = list(ImportBatch.objects.order_by("pk"))
    assert [b.kind for b in batches] == KINDS, "one file of each kind, in dependency order"
    for batch in batches:
        assert (batch.status, batch.source, batch.rows_rejected, batch.dry_run) == ("done", "load_demo", 0, False)
        assert batch.rows_created == batch.rows_read > 0, batch.kind
        assert batch.file_name == f"{batch.kind}.csv"
        assert f"загрузка № {batch.pk}" in output
    by_kind = {b.kind: b for b in batches}
    assert by_kind["accounts"].rows_created == PersonalAccount.objects.count()
    assert by_kind["meters"].rows_created == Meter.objects.count() == PersonalAccount.objects.count()
    assert by_kind["accruals"].rows_created == Accrual.objects.count()
    assert by_kind["payments"].rows_created == Payment.objects.filter(source_id__startswith="DEMO-").count()
    assert not Payment.objects.filter(source_id__isnull=True).exists()
    # Billing's readings (the inspectors') came in a file; the customers' own were sent in Kabinet.
    billing = Reading.objects.filter(billing__isnull=False)
    assert by_kind["readings"].rows_created == billing.count() > 0
    assert set(billing.values_list("source", flat=True)) == {Reading.Source.INSPECTOR}
    assert not Reading.objects.filter(billing__isnull=True).exclude(source=Reading.Source.PORTAL).exists()
    assert Reading.objects.filter(source=Reading.Source.PORTAL).count() > billing.count()
    # The imports computed the balances by Kabinet's rule.
    assert set(MonthBalance.objects.values_list("source", flat=True)) == {MonthBalance.Source.KABINET}


def test_a_second_start_is_a_duplicate_that_changes_nothing(db):
    load_demo()
    before = table_counts()
    first = ImportBatch.objects.count()
    output = load_demo()
    assert "already loaded" in output
    assert table_counts() == before
    (again,) = ImportBatch.objects.order_by("pk")[first:]
    assert (again.kind, again.status) == ("accounts", ImportBatch.Status.DUPLICATE)
    assert "Этот файл уже загружен" in again.message


def test_kept_files_are_the_formats_files(db, tmp_path):
    """--keep-files leaves the files that were loaded: loading one again by its own command is a
    duplicate, as for any file from billing."""
    load_demo("--keep-files", str(tmp_path))
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"{kind}.csv" for kind in KINDS)
    header = (tmp_path / "accruals.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "region,account,month,service,zone,volume,tariff,amount,recalculation,recalculation_reason"
    call_command("import_accruals", str(tmp_path / "accruals.csv"), stdout=StringIO())
    assert ImportBatch.objects.latest("pk").status == ImportBatch.Status.DUPLICATE


def test_a_refused_file_stops_the_demo_and_leaves_no_history(db):
    """Months billing has closed refuse the demo's accruals: the demo says so and stops, and no
    account is left with half a history."""
    exchange_demo.load_registry()
    Region.objects.filter(code="66").update(closed_through=date(2030, 1, 1))
    with pytest.raises(CommandError) as refused:
        load_demo()
    message = str(refused.value)
    assert "Демо-данные не загружены" in message and "accruals.csv" in message
    assert "уже закрыт в биллинге" in message and "строка 2:" in message
    assert not Meter.objects.exists() and not Payment.objects.exists() and not Reading.objects.exists()
