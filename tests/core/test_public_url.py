"""Issue 11 point 14: links in SMS and e-mails lead to where the portal runs. `make run PORT=…`
passes its own address; the messages build links from KABINET_PUBLIC_URL."""

import os
from pathlib import Path
import stat
import subprocess

from django.conf import settings
import pytest

from kabinet.identity import recovery

ROOT = Path(settings.BASE_DIR)


def make_run(tmp_path, *args: str, **env: str) -> list[str]:
    """What `make run` hands its commands, with a stand-in for the venv's python that prints
    the variables the portal reads and its arguments."""
    python = tmp_path / "python"
    python.write_text('#!/bin/sh\necho "DEBUG=$DJANGO_DEBUG URL=$KABINET_PUBLIC_URL $*"\n')
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".installed").touch()  # newer than requirements*.txt: nothing to install
    caller = {k: v for k, v in os.environ.items() if k not in {"PORT", "KABINET_PUBLIC_URL", "DJANGO_DEBUG"}}
    result = subprocess.run(
        ["make", "--no-print-directory", "-s", "run", f"PY={python}", f"VENV={venv}", *args],
        cwd=ROOT,
        env={**caller, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_make_run_links_to_its_own_port(tmp_path):
    lines = make_run(tmp_path, "PORT=8080")
    assert lines[-1] == "DEBUG=1 URL=http://127.0.0.1:8080 manage.py runserver 127.0.0.1:8080"
    # load_demo and migrate run in the same demo mode
    assert all(line.startswith("DEBUG=1 URL=http://127.0.0.1:8080 ") for line in lines)


def test_make_run_reads_port_from_the_environment(tmp_path):
    assert make_run(tmp_path, PORT="9000")[-1] == "DEBUG=1 URL=http://127.0.0.1:9000 manage.py runserver 127.0.0.1:9000"


def test_make_run_keeps_a_public_url_given_to_it(tmp_path):
    lines = make_run(tmp_path, "PORT=8080", KABINET_PUBLIC_URL="https://demo.example.ru")
    assert lines[-1] == "DEBUG=1 URL=https://demo.example.ru manage.py runserver 127.0.0.1:8080"


def test_make_run_is_the_demo_even_when_debug_is_off_outside(tmp_path):
    assert make_run(tmp_path, DJANGO_DEBUG="0")[-1].startswith("DEBUG=1 URL=http://127.0.0.1:8000 ")


@pytest.mark.django_db
def test_an_e_mail_link_uses_the_public_url(settings, customer, mailbox):
    settings.KABINET_PUBLIC_URL = "http://127.0.0.1:8080"
    recovery.start_email_reset(customer.email, "127.0.0.1")
    (message,) = mailbox()
    assert "http://127.0.0.1:8080/recover/link/" in message.body
    assert "127.0.0.1:8000" not in message.body
