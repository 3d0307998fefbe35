"""`export_readings`: Kabinet readings to billing, each exported once incrementally, any month
again on demand; the file is written whole or not at all and its rows are marked in the
transaction that records the batch."""

from datetime import date
import hashlib

from django.core.management import CommandError, call_command
from django.urls import reverse
import pytest

from kabinet.exchange import exports
from kabinet.exchange.models import ExportBatch, ExportedReading
from kabinet.exchange.readings_export import export_readings
from kabinet.identity.models import User
from kabinet.readings.models import Reading
from tests.factories import NOV, add_reading, admin_login, export_crashing_before_commit, make_meter

OCT = date(2026, 10, 1)
HEADER = "region,account,service,meter,month,t1,t2,t3,submitted_at,reading_id,replaces"


@pytest.fixture
def out(settings, tmp_path):
    settings.KABINET_EXCHANGE_OUT_DIR = tmp_path / "exchange" / "out"
    return settings.KABINET_EXCHANGE_OUT_DIR


@pytest.fixture
def meter(account):
    return make_meter(account, zones=2, serial="SN-42")


def run(**options) -> ExportBatch:
    return export_readings(source="tests", **options)


def lines(batch: ExportBatch, out) -> list[str]:
    return (out / batch.file_name).read_bytes().decode("utf-8").splitlines()


def test_the_file_has_the_header_and_one_row_per_reading(out, meter):
    reading = add_reading(meter, NOV, 1200, 800)
    batch = run()
    assert batch.status == ExportBatch.Status.DONE and batch.rows == 1 and batch.period == "incremental"
    data = (out / batch.file_name).read_bytes()
    assert data == (f"{HEADER}\r\n66,660100000001,electricity,SN-42,2026-11,1200,800,,2026-11-20T19:00:00+05:00,"
                    f"{reading.pk},\r\n").encode()  # fmt: skip
    assert batch.checksum == hashlib.sha256(data).hexdigest()
    assert batch.file_name.startswith("readings-incremental-") and batch.file_name.endswith(f"-{batch.pk}.csv")
    assert [p.name for p in out.iterdir()] == [batch.file_name]  # no temporary file left
    assert "Выгружено новых показаний: 1" in batch.message and batch.source == "tests"


def test_each_reading_is_exported_exactly_once_across_runs(out, meter):
    first = add_reading(meter, OCT, 1000, 700)
    add_reading(meter, OCT, 5, 5, source=Reading.Source.BILLING)  # not from Kabinet: never exported
    one = run()
    second = add_reading(meter, NOV, 1200, 800)
    two = run()
    assert [line.split(",")[9] for line in lines(one, out)[1:]] == [str(first.pk)]
    assert [line.split(",")[9] for line in lines(two, out)[1:]] == [str(second.pk)]
    assert dict(ExportedReading.objects.values_list("reading_id", "batch_id")) == {first.pk: one.pk, second.pk: two.pk}
    three = run()
    assert three.status == ExportBatch.Status.DONE and three.rows == 0 and three.file_name == ""
    assert three.message == "Новых показаний нет, файл не создан." and len(list(out.iterdir())) == 2


def test_rows_are_read_in_pages(out, meter, monkeypatch):
    monkeypatch.setattr(exports, "PAGE", 2)
    readings = [add_reading(meter, date(2026, month, 1), 1000 + month, 700) for month in range(1, 6)]
    batch = run()
    assert batch.rows == 5
    assert [line.split(",")[9] for line in lines(batch, out)[1:]] == [str(r.pk) for r in readings]
    assert ExportedReading.objects.filter(batch=batch).count() == 5


def test_a_period_is_exported_again_and_marks_nothing(out, meter):
    october = add_reading(meter, OCT, 1000, 700)
    add_reading(meter, NOV, 1200, 800)
    run()
    again = run(period=OCT)
    assert again.status == ExportBatch.Status.DONE and again.period == "2026-10" and again.rows == 1
    assert again.file_name.startswith("readings-2026-10-")
    assert lines(again, out)[1].split(",")[9] == str(october.pk)
    assert not ExportedReading.objects.filter(batch=again).exists()
    assert run(period=OCT).rows == 1  # as often as asked
    assert lines(run(period=date(2026, 1, 1)), out) == [HEADER]  # an empty month: the header alone


def test_a_replaced_reading_and_its_replacement_carry_the_flag(out, meter):
    earlier = add_reading(meter, NOV, 1200, 800)
    run()
    later = add_reading(meter, NOV, 1250, 810)
    Reading.objects.filter(pk=earlier.pk).update(replaced_by=later)
    batch = run()
    (row,) = lines(batch, out)[1:]
    assert row.split(",")[5:7] == ["1250", "810"] and row.split(",")[9:] == [str(later.pk), str(earlier.pk)]
    by_month = lines(run(period=NOV), out)[1:]
    assert [r.split(",")[10] for r in by_month] == ["", str(earlier.pk)]


def test_a_crash_before_commit_marks_nothing_and_keeps_its_file(out, meter, caplog):
    reading = add_reading(meter, NOV, 1200, 800)
    export_crashing_before_commit(run, out, caplog)
    assert not ExportedReading.objects.exists()
    retry = run()  # the next run sends them again
    assert retry.rows == 1 and lines(retry, out)[1].split(",")[9] == str(reading.pk)
    assert ExportedReading.objects.get().batch == retry


def test_the_command_takes_a_period_and_a_folder(meter, tmp_path, capsys):
    add_reading(meter, NOV, 1200, 800)
    call_command("export_readings", "--out", str(tmp_path / "here"))
    assert "Выгружено новых показаний: 1" in capsys.readouterr().out
    call_command("export_readings", "--period", "2026-11", "--out", str(tmp_path / "here"))
    assert "Выгружено показаний за 11.2026: 1" in capsys.readouterr().out
    assert len(list((tmp_path / "here").glob("readings-*.csv"))) == 2
    assert ExportBatch.objects.filter(source="manage.py export_readings").count() == 2
    with pytest.raises(CommandError, match="ГГГГ-ММ"):
        call_command("export_readings", "--period", "2026-13")


def test_the_export_journal_is_read_only_in_the_admin(client, out, meter):
    add_reading(meter, NOV, 1200, 800)
    batch = run()
    admin_login(client, User.objects.create_superuser("+79990000000", "Admin-Demo-2026!"))
    journal = client.get(reverse("admin:exchange_exportbatch_changelist")).content.decode()
    assert batch.file_name in journal and "Выгружен" in journal
    page = client.get(reverse("admin:exchange_exportbatch_change", args=[batch.pk])).content.decode()
    assert batch.checksum in page and 'name="_save"' not in page
    assert client.get(reverse("admin:exchange_exportbatch_add")).status_code == 403
    assert "журнал выгрузок" in client.get(reverse("admin:index")).content.decode().lower()
