"""The drop folder: each finished file is imported by the runner and moved by its outcome to
done/, rejected/ or failed/ with a journal entry; a file still being written is left alone;
two pickups never import one file twice; `manage.py exchange_pickup` and the Celery task."""

import os
import time

from django.core.management import CommandError, call_command
import pytest

from kabinet.billing.models import PersonalAccount
from kabinet.exchange import kinds
from kabinet.exchange.drop import kind_of, pickup, pickup_order
from kabinet.exchange.models import ImportBatch
from kabinet.exchange.stores import FolderStore
from kabinet.exchange.tasks import import_drop_folder
from tests.factories import csv_bytes, in_threads

GOOD = "66,660100000001,Екатеринбург,ул. Малышева,12а,5,,,"
OTHER = "66,660100000002,Екатеринбург,ул. Малышева,12а,6,,,"
BAD = "66,12345,Екатеринбург,ул. Малышева,12а,6,,,"


def put(folder, name, *rows, data=None):
    (folder / name).write_bytes(csv_bytes(*rows) if data is None else data)


def names(folder) -> list[str]:
    """The files in a folder, but the pickup's lock file."""
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != ".pickup.lock")


def test_each_outcome_lands_in_its_folder_with_a_journal_entry(drop, sverdlovsk, monkeypatch):
    put(drop, "accounts_2026-05-01.csv", GOOD)
    put(drop, "accounts_2026-05-02.csv", BAD)
    put(drop, "accounts_2026-05-03.csv", GOOD)  # the same bytes as the first: a duplicate
    put(drop, "prices_2026-05.csv", GOOD)  # no kind of that name
    picked = pickup(via="tests")
    by_name = {item.name: item.batch for item in picked}
    assert [item.name for item in picked] == [  # in the order of their names, the unknown last
        "accounts_2026-05-01.csv",
        "accounts_2026-05-02.csv",
        "accounts_2026-05-03.csv",
        "prices_2026-05.csv",
    ]
    assert by_name["accounts_2026-05-01.csv"].status == ImportBatch.Status.DONE
    assert by_name["accounts_2026-05-02.csv"].status == ImportBatch.Status.REJECTED
    assert by_name["accounts_2026-05-03.csv"].status == ImportBatch.Status.DUPLICATE
    unknown = by_name["prices_2026-05.csv"]
    assert unknown.status == ImportBatch.Status.REJECTED and "вид файла не определён по имени" in unknown.message
    assert names(drop / "done") == ["accounts_2026-05-01.csv", "accounts_2026-05-03.csv"]
    assert names(drop / "rejected") == ["accounts_2026-05-02.csv", "prices_2026-05.csv"]
    assert names(drop) == [] and names(drop / "processing") == []
    assert all(b.source == "папка обмена, tests" for b in by_name.values())
    assert ImportBatch.objects.count() == 4 and PersonalAccount.objects.count() == 1

    # A failure the runner did not foresee: failed/, the previous data kept.
    def boom(stage):
        raise RuntimeError("диск переполнен")

    monkeypatch.setattr(kinds.get("accounts"), "merge", boom)
    put(drop, "accounts_2026-05-04.csv", OTHER)
    [failed] = pickup(via="tests")
    assert failed.batch.status == ImportBatch.Status.FAILED and "диск переполнен" not in failed.batch.message
    assert failed.batch.message.startswith("Загрузка прервана ошибкой на сервере, ничего не изменено")
    assert names(drop / "failed") == ["accounts_2026-05-04.csv"]
    assert failed.moved_to == str(drop / "failed" / "accounts_2026-05-04.csv")
    assert PersonalAccount.objects.count() == 1


def test_a_file_of_a_name_already_in_done_keeps_both(drop, sverdlovsk):
    put(drop, "accounts.csv", GOOD)
    pickup(via="tests")
    put(drop, "accounts.csv", GOOD, OTHER)
    [second] = pickup(via="tests")
    assert second.batch.status == ImportBatch.Status.DONE
    assert names(drop / "done") == ["accounts-2.csv", "accounts.csv"]


def test_a_file_being_written_is_left_alone(drop, sverdlovsk, settings):
    put(drop, "accounts_1.csv.part", GOOD)  # the writer renames it when done
    put(drop, ".accounts_2.csv", GOOD)  # hidden: a temporary name of some tools
    assert pickup(via="tests") == []
    assert names(drop) == [".accounts_2.csv", "accounts_1.csv.part"]
    assert not ImportBatch.objects.exists()
    # A writer that cannot rename: a file changed within the settle time waits.
    settings.KABINET_EXCHANGE_SETTLE_SECONDS = 60
    os.rename(drop / "accounts_1.csv.part", drop / "accounts_1.csv")
    assert pickup(via="tests") == []
    an_hour_ago = time.time() - 3600
    os.utime(drop / "accounts_1.csv", (an_hour_ago, an_hour_ago))
    [picked] = pickup(via="tests")
    assert picked.batch.status == ImportBatch.Status.DONE and names(drop / "done") == ["accounts_1.csv"]


def test_kinds_go_in_the_order_they_depend_on_each_other():
    dropped = ["readings_1.csv", "accounts_2.csv", "meters_1.csv", "accruals_1.csv", "accounts_1.csv", "x.csv"]
    assert sorted(dropped, key=pickup_order) == [
        "accounts_1.csv",
        "accounts_2.csv",
        "meters_1.csv",
        "readings_1.csv",
        "accruals_1.csv",
        "x.csv",
    ]
    assert kind_of("Accounts-2026.csv") == "accounts" and kind_of("accountsx.csv") is None


def test_only_one_of_two_workers_claims_a_file(tmp_path):
    store = FolderStore(tmp_path)
    store.prepare()
    for i in range(200):
        (tmp_path / f"accounts_{i:03}.csv").write_bytes(b"x")
    waiting = store.waiting()
    claimed = in_threads(2, lambda i: {name for name in waiting if store.claim(name)})
    assert not (claimed[0] & claimed[1]) and len(claimed[0] | claimed[1]) == 200


@pytest.mark.django_db(transaction=True)
def test_two_pickups_at_once_import_each_file_once(drop, sverdlovsk):
    for i in range(5):
        put(drop, f"accounts_{i}.csv", f"66,66010000000{i},Екатеринбург,ул. Малышева,12а,{i},,,")
    results = in_threads(2, lambda i: pickup(via=f"поток {i}"))
    assert not [r for r in results if isinstance(r, Exception)]
    picked = [item for result in results if result for item in result]
    assert sorted(item.name for item in picked) == [f"accounts_{i}.csv" for i in range(5)]
    assert ImportBatch.objects.count() == 5 and PersonalAccount.objects.count() == 5
    assert names(drop / "done") == [f"accounts_{i}.csv" for i in range(5)]


def test_the_command_shows_each_file_and_its_fate(drop, sverdlovsk, capsys):
    call_command("exchange_pickup", "--no-progress")
    assert "Новых файлов нет." in capsys.readouterr().out
    put(drop, "accounts_1.csv", GOOD)
    call_command("exchange_pickup", "--no-progress")
    out = capsys.readouterr().out
    assert "accounts_1.csv: Загружено: прочитано строк 1, создано 1" in out and "done/accounts_1.csv" in out
    put(drop, "accounts_2.csv", BAD)
    with pytest.raises(CommandError) as raised:
        call_command("exchange_pickup", "--no-progress")
    assert raised.value.returncode == 2 and "отклонены" in str(raised.value)
    assert ImportBatch.objects.get(file_name="accounts_2.csv").source == "папка обмена, manage.py exchange_pickup"


def test_the_celery_task_picks_up_the_folder(drop, sverdlovsk):
    put(drop, "accounts_1.csv", GOOD)
    result = import_drop_folder.delay()  # eager: no broker in tests
    assert result.get() == "1 files: done 1"
    assert ImportBatch.objects.get().source == "папка обмена, задача Celery"
    assert names(drop / "done") == ["accounts_1.csv"]


def test_the_beat_schedule_runs_the_pickup_and_the_export(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"kabinet.exchange.tasks.import_drop_folder", "kabinet.exchange.tasks.export_for_billing"} <= tasks


def test_a_file_that_cannot_be_read_fails_with_a_russian_reason(drop, sverdlovsk, monkeypatch, caplog):
    def unreadable(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("kabinet.exchange.drop.run_import", unreadable)  # the disk fails under the file
    put(drop, "accounts_2026-05-05.csv", GOOD)
    [failed] = pickup(via="tests")
    assert failed.batch.status == ImportBatch.Status.FAILED
    assert failed.batch.message == (
        "Загрузка прервана ошибкой на сервере до её начала, ничего не изменено; подробности — в журнале "
        "сервера (файл accounts_2026-05-05.csv)."
    )
    assert "Input/output error" in caplog.text and names(drop / "failed") == ["accounts_2026-05-05.csv"]


def test_a_symlink_in_the_folder_is_refused_not_followed(drop, sverdlovsk, tmp_path):
    """A link `in/accounts_x.csv → /etc/…` must not make Kabinet read (and show the lines of)
    any file on the host: it goes to rejected/ as a link, the target is neither read nor moved."""
    secret = tmp_path / "secret.csv"
    secret.write_bytes(csv_bytes("66,SECRET-LINE,Екатеринбург,ул. Малышева,12а,5,,,"))
    os.symlink(secret, drop / "accounts_x.csv")
    (picked,) = pickup(via="tests")
    assert picked.batch.status == ImportBatch.Status.REJECTED
    assert "символическая ссылка" in picked.batch.message
    assert not picked.batch.rejected_rows.exists()
    assert os.path.islink(drop / "rejected" / "accounts_x.csv") and secret.exists()
    assert "SECRET" not in picked.batch.message


def test_a_symlink_left_in_processing_is_not_opened(drop, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_bytes(b"region\n")
    store = FolderStore(drop)
    store.prepare()
    os.symlink(secret, drop / "processing" / "accounts_x.csv")
    with pytest.raises(OSError), store.opened("accounts_x.csv"):
        pass
