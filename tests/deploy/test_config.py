"""deploy/'s files are what production runs: nginx accepts the site, systemd accepts the units
(their commands exist in this checkout), and the environment template passes Django's deploy
checks once its REPLACE-ME values are filled in, and does not start before."""

from pathlib import Path
import subprocess
import sys

from django.conf import settings
import pytest

from tests.factories import production_env

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
APP_SERVICES = ["kabinet-gunicorn@.service", "kabinet-celery-worker.service", "kabinet-celery-beat.service"]
UNITS = [*APP_SERVICES, "kabinet.target", "kabinet-backup.service", "kabinet-backup.timer"]


def self_signed_certificate(openssl: str, folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "fullchain.pem", folder / "privkey.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=lk.example.ru"]
    subprocess.run(
        [openssl, *request, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_nginx_accepts_the_site(tool, tmp_path):
    """The site as it stands, inside a minimal nginx.conf; only the certificate and log paths
    point into the test's folder (nginx -t opens them)."""
    cert, key = self_signed_certificate(tool("openssl"), tmp_path)
    site = (DEPLOY / "nginx" / "kabinet.conf").read_text(encoding="utf-8")
    for production, here in [
        ("/etc/ssl/kabinet/fullchain.pem", cert),
        ("/etc/ssl/kabinet/privkey.pem", key),
        ("/var/log/nginx/", f"{tmp_path}/"),
    ]:
        assert production in site, production
        site = site.replace(production, str(here))
    (tmp_path / "kabinet.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log {tmp_path}/access.log;\n"
        f"  include {tmp_path}/kabinet.conf;\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [tool("nginx"), "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr


def test_systemd_accepts_the_units(tool, tmp_path):
    """`systemd-analyze verify` parses each unit strictly and checks that ExecStart's program
    exists: the units are checked against this checkout in place of /srv/kabinet."""
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("/srv/kabinet", str(ROOT)), encoding="utf-8")
    instances = [str(tmp_path / name.replace("@.", "@8001.")) for name in UNITS]
    result = subprocess.run([tool("systemd-analyze"), "verify", *instances], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""


def test_the_units_share_the_environment_file_and_checkout():
    for name in APP_SERVICES:
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        assert "EnvironmentFile=/etc/kabinet/kabinet.env\n" in text, name
        assert "WorkingDirectory=/srv/kabinet\n" in text, name
        assert "ExecStart=/srv/kabinet/.venv/bin/" in text, name


def test_check_deploy_is_clean_with_the_environment_template(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced).", result.stdout
    assert result.stderr == ""


def test_the_template_as_shipped_does_not_start(tmp_path):
    """Its REPLACE-ME values pass the deploy checks (a long secret key, a password): the
    settings refuse them, naming each variable still to fill in."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=production_env(tmp_path, filled=False),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: Replace REPLACE-ME in " in result.stderr, result.stderr
    for name in [
        "DJANGO_SECRET_KEY",
        "KABINET_PD_KEYS",
        "DATABASE_URL",
        "KABINET_SMS_HTTP_PASSWORD",
        "EMAIL_HOST_PASSWORD",
    ]:
        assert name in result.stderr.splitlines()[-1], name


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"KABINET_PD_KEYS": ""}, "KABINET_PD_KEYS is not set"),
        ({"KABINET_PD_KEYS": "not-a-fernet-key"}, "KABINET_PD_KEYS key #1"),
        ({"KABINET_COMPLAINT_ANSWER_DAYS": "66=двадцать"}, "KABINET_COMPLAINT_ANSWER_DAYS"),
    ],
)
def test_a_server_without_a_usable_complaint_setting_does_not_start(tmp_path, change, named):
    """Not only `check --deploy`: any command refuses, else the site starts and every
    complaint filing fails with a server error."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=production_env(tmp_path) | change,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {named}" in result.stderr, result.stderr


def test_the_template_leaves_debug_off_and_trusts_exactly_one_proxy(tmp_path):
    env = production_env(tmp_path)
    assert env["DJANGO_DEBUG"] == "0"
    assert env["KABINET_BEHIND_PROXY"] == "1" and env["KABINET_TRUSTED_PROXIES"] == "1"
    assert env["DJANGO_CSRF_TRUSTED_ORIGINS"] == env["KABINET_PUBLIC_URL"]
