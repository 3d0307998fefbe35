"""deploy/backup.sh and deploy/restore-drill.sh against the machine's PostgreSQL: a demo
database with files is backed up, the drill restores it into a throw-away database and finds
every figure equal; a corrupted file, a wrong count or a failed dump are caught."""

import hashlib
import json
import os
from pathlib import Path
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
SOURCE_DB = f"kab_backup_src_{os.getpid()}"  # runs side by side (several checkouts, CI) never share it
SOURCE_URL = f"postgres://postgres@127.0.0.1:5432/{SOURCE_DB}"
ATTACH = """
from django.core.files.base import ContentFile
from kabinet.appeals.models import Appeal, Attachment
for number, appeal in enumerate(Appeal.objects.order_by("pk")[:3]):
    body = f"документ {number} ".encode() * 1000
    Attachment.objects.create(appeal=appeal, file=ContentFile(body, name="scan.pdf"), name="scan.pdf",
        content_type="application/pdf", size=len(body), sha256="-", uploaded_by=appeal.customer)
"""


def _major(tool_output: str) -> int:
    return int(tool_output.split()[-1].split(".")[0]) if tool_output else 0


def _client_tools() -> str | None:
    """Why the test cannot run, or None. pg_dump refuses a server newer than itself."""
    if not shutil.which("pg_dump") and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql-client"], capture_output=True)
    if not shutil.which("pg_dump"):
        return "PostgreSQL client tools (pg_dump) are missing and could not be installed"
    server = subprocess.run(["psql", *PG, "-Atc", "SHOW server_version"], capture_output=True, text=True)
    if server.returncode:
        return f"no PostgreSQL on 127.0.0.1:5432: {server.stderr.strip()}"
    client = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True).stdout
    assert _major(client) >= int(server.stdout.split(".")[0]), f"pg_dump {client} is older than the server"
    return None


def _env(data: Path, database_url: str = SOURCE_URL) -> dict:
    keep = {"PATH", "HOME", "LANG"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    return env | {"DATABASE_URL": database_url, "KABINET_DATA_DIR": str(data), "DJANGO_SECRET_KEY": "backup-test"}


def _run(command: list, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)


def _psql(sql: str, db: str = SOURCE_DB) -> str:
    return subprocess.run(
        ["psql", *PG, "-d", db, "-Atc", sql], capture_output=True, text=True, check=True
    ).stdout.strip()


PYTHON = ["--python", sys.executable]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The demo data in its own database, three appeals with a file each and one stray file;
    the database is dropped after the module."""
    if reason := _client_tools():
        pytest.skip(reason)
    subprocess.run(["dropdb", *PG, "--if-exists", SOURCE_DB], check=True)
    subprocess.run(["createdb", *PG, SOURCE_DB], check=True)
    try:
        yield _source_data(tmp_path_factory)
    finally:
        subprocess.run(["dropdb", *PG, "--if-exists", "--force", SOURCE_DB], check=True)


def _source_data(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("source-data")
    env = _env(data)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["load_demo"], ["shell", "-c", ATTACH]):
        result = _run(manage + command, env)
        assert result.returncode == 0, result.stderr
    (data / "files").mkdir(exist_ok=True)
    (data / "files" / "export.csv").write_text("номер;сумма\n", encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def backup(source, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("backups")
    result = _run(["deploy/backup.sh", *PYTHON, str(dest)], _env(source))
    assert result.returncode == 0, result.stdout + result.stderr
    [folder] = list(dest.glob("2*"))
    return folder


def _drill(folder: Path) -> subprocess.CompletedProcess:
    return _run(["deploy/restore-drill.sh", *PYTHON, str(folder)], _env(folder / "no-data"))


def _left_behind(drill: subprocess.CompletedProcess) -> str:
    """The throw-away database this drill created, if it is still there. Only this drill's own:
    another drill on the same server (a parallel CI run, one killed earlier) is not its doing."""
    [name] = re.findall(r"creating the throw-away database (kabinet_restore_\w+) on", drill.stdout)
    return _psql(f"SELECT datname FROM pg_database WHERE datname = '{name}'", "postgres")


def test_the_backup_counts_what_the_database_and_storage_hold(source, backup):
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"]["billing.PersonalAccount"] == int(_psql("SELECT count(*) FROM billing_personalaccount")) > 0
    assert manifest["rows"]["appeals.Attachment"] == 3
    assert manifest["references"]["appeals.Attachment.file"] == {"rows": 3, "missing": 0}
    assert manifest["files"]["attachments"]["count"] == 3
    assert manifest["files"]["default"]["sha256"].keys() == {"export.csv"}
    assert oct((backup / "manifest.json").stat().st_mode & 0o777) == "0o600"


def test_the_drill_restores_the_backup_and_finds_every_figure_equal(backup):
    result = _drill(backup)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: all" in result.stdout
    assert [line.split()[-1] for line in result.stdout.splitlines() if line.startswith("billing.PersonalAccount ")] == [
        "OK"
    ]
    assert _left_behind(result) == ""


def test_the_drill_fails_when_a_file_of_the_backup_is_corrupted(backup, tmp_path):
    copy = shutil.copytree(backup, tmp_path / "copy")
    victim = next(path for path in (copy / "files" / "attachments").rglob("*") if path.is_file())
    victim.write_bytes(b"X" + victim.read_bytes()[1:])
    result = _drill(copy)
    assert result.returncode != 0
    assert "files[attachments]: sha256 differ" in result.stdout
    assert victim.relative_to(copy / "files").as_posix() in result.stdout
    assert _left_behind(result) == ""


def test_the_drill_fails_when_a_count_differs(backup, tmp_path):
    copy = shutil.copytree(backup, tmp_path / "copy")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["rows"]["readings.Reading"] += 1
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = _drill(copy)
    assert result.returncode != 0
    assert "FAIL: 1 of" in result.stdout + result.stderr


def test_a_failed_backup_leaves_no_dated_folder(source, tmp_path):
    env = _env(source, "postgres://postgres@127.0.0.1:5432/kab_backup_no_such_db")
    result = _run(["deploy/backup.sh", *PYTHON, str(tmp_path / "dest")], env)
    assert result.returncode != 0
    assert [path.name for path in (tmp_path / "dest").iterdir()] == [".lock"]


def test_a_killed_backup_s_leftovers_go_with_the_next_one(source, tmp_path):
    dest = tmp_path / "dest"
    (dest / ".2000-01-01T000000Z.tmp").mkdir(parents=True)
    result = _run(["deploy/backup.sh", *PYTHON, str(dest)], _env(source))
    assert result.returncode == 0, result.stderr
    assert not (dest / ".2000-01-01T000000Z.tmp").exists()


def test_keep_deletes_all_but_the_newest_backups(source, backup, tmp_path):
    dest = tmp_path / "dest"
    shutil.copytree(backup, dest / "2000-01-01T000000Z")
    result = _run(["deploy/backup.sh", *PYTHON, "--keep", "1", str(dest)], _env(source))
    assert result.returncode == 0, result.stderr
    assert len(list(dest.glob("2*"))) == 1
    assert not (dest / "2000-01-01T000000Z").exists()


def test_keep_0_is_refused_before_anything_is_deleted(source, backup, tmp_path):
    """head -n -0 would list every backup, the new one too."""
    dest = tmp_path / "dest"
    shutil.copytree(backup, dest / "2000-01-01T000000Z")
    result = _run(["deploy/backup.sh", *PYTHON, "--keep", "0", str(dest)], _env(source))
    assert result.returncode == 2
    assert "--keep must be at least 1" in result.stderr
    assert [path.name for path in dest.glob("2*")] == ["2000-01-01T000000Z"]


def _listening(port: int) -> bool:
    with socket.socket() as client:
        return client.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def s3_endpoint():
    """A local S3 (moto in server mode) on a free port, until the test ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    moto = Path(sys.executable).parent / "moto_server"
    server = subprocess.Popen([str(moto), "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not _listening(port):
            assert server.poll() is None, "moto_server exited"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


def test_files_on_s3_are_copied_and_hashed_like_local_ones(s3_endpoint, settings, tmp_path):
    import boto3

    from kabinet.core import backup
    from kabinet.core.storage import private_storage

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="k", aws_secret_access_key="s")
    s3.create_bucket(Bucket="kabinet")
    for key in ["attachments/2026/11/a1", "attachments/2026/12/b2", "attachments/top", "elsewhere/x"]:
        s3.put_object(Bucket="kabinet", Key=key, Body=key.encode())
    options = {"bucket_name": "kabinet", "endpoint_url": s3_endpoint, "access_key": "k", "secret_key": "s"}
    settings.STORAGES = settings.STORAGES | {
        "attachments": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options | {"location": "attachments"}}
    }
    summary = backup.file_summary("attachments", copy_to=tmp_path)
    assert summary["count"] == 3
    assert summary["sha256"]["2026/11/a1"] == hashlib.sha256(b"attachments/2026/11/a1").hexdigest()
    assert (tmp_path / "2026" / "12" / "b2").read_bytes() == b"attachments/2026/12/b2"
    assert backup._alias_of(private_storage()) == "attachments"
