"""import_accounts: the registry export (formats/accounts.md) loads, re-runs, and refuses a file
with bad rows whole (the exchange pipeline itself is tested in tests/exchange)."""

from django.core.management import CommandError, call_command
from django.urls import reverse
import pytest

from kabinet.billing.models import PersonalAccount, Premises
from kabinet.billing.registry import find_account
from tests.factories import registration_data

HEADER = "region,number,city,street,house,flat,status,replaced_by,closed_on"
ROWS = [
    "66,660100000002,Екатеринбург,ул. Малышева,12а,6,closed,660100000003,2025-12-31",
    "66,660100000001,Екатеринбург,ул. Малышева,12а,5,active,,",
    "66,660100000003,Екатеринбург,ул. Малышева,12а,6,,,",
]


def load(tmp_path, *rows, header=HEADER, **options):
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    call_command("import_accounts", path, **options)


def test_loads_accounts_premises_and_replacements(tmp_path, sverdlovsk, capsys):
    load(tmp_path, *ROWS)
    closed = find_account(sverdlovsk, "660100000002")
    assert closed.status == PersonalAccount.Status.CLOSED
    assert closed.replaced_by.number == "660100000003"  # named before it appeared in the file
    assert str(closed.closed_on) == "2025-12-31"
    assert find_account(sverdlovsk, "660100000003").is_active
    assert closed.premises == find_account(sverdlovsk, "660100000003").premises  # one flat, one premises
    assert Premises.objects.count() == 2
    assert "создано 3, обновлено 0, без изменений 0" in capsys.readouterr().out


def test_rerun_changes_nothing_and_updates_what_changed(tmp_path, sverdlovsk):
    load(tmp_path, *ROWS)
    load(tmp_path, *ROWS)
    assert PersonalAccount.objects.count() == 3
    assert Premises.objects.count() == 2
    load(tmp_path, "66,660100000002,Екатеринбург,ул. Малышева,12а,6,active,,")
    reopened = find_account(sverdlovsk, "660100000002")
    assert reopened.is_active and reopened.replaced_by is None


def test_bad_rows_are_reported_by_line_and_nothing_is_loaded(tmp_path, sverdlovsk, capsys):
    rows = [
        "66,660100000001,Екатеринбург,ул. Малышева,12а,5,,,",
        "99,660100000004,Екатеринбург,ул. Малышева,1,1,,,",
        "66,12345,Екатеринбург,ул. Малышева,1,1,,,",
        "66,660100000005,Екатеринбург,,1,1,,,",
        "66,660100000006,Екатеринбург,ул. Малышева,1,1,frozen,,",
        "66,660100000007,Екатеринбург,ул. Малышева,1,1,active,660100000001,",
        "66,660100000009,Екатеринбург,ул. Малышева,1,1,closed,,31.12.2025",
    ]
    with pytest.raises(CommandError) as error:
        load(tmp_path, *rows)
    assert error.value.returncode == 2
    err = capsys.readouterr().err
    for line, text in [
        (3, "region: «99» — неизвестный код региона"),
        (4, "number: «12345» — номер не подходит региону «Свердловский»"),
        (5, "не заполнены city, street или house"),
        (6, "status: «frozen»"),
        (7, "replaced_by: «660100000001» — указан у действующего счёта"),
        (8, "closed_on: «31.12.2025»"),
    ]:
        assert f"строка {line}: {text}" in err
    assert "отклонено строк 6" in str(error.value)
    assert not PersonalAccount.objects.exists()  # all or nothing: the good first row is not loaded either


def test_dry_run_and_missing_columns(tmp_path, sverdlovsk, capsys):
    load(tmp_path, *ROWS, dry_run=True)
    assert PersonalAccount.objects.count() == 0
    assert "Проверка: ошибок нет, ничего не изменено; было бы прочитано строк 3, создано 3" in capsys.readouterr().out
    with pytest.raises(CommandError, match="В заголовке нет столбцов: house"):
        load(tmp_path, "66,660100000001,Екатеринбург,ул. Малышева", header="region,number,city,street")


def test_imported_account_can_be_registered(client, tmp_path, sverdlovsk):
    """The loaded registry is the one registration checks: number + house after normalisation."""
    load(tmp_path, *ROWS)
    data = registration_data(sverdlovsk, account_number="660100000001", house="12 А")
    page = client.post(reverse("portal:register"), data)
    assert page.status_code == 302 and page.url == reverse("portal:register_confirm")
