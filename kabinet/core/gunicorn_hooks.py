"""gunicorn server hooks for prometheus_client's multiprocess mode.

A gunicorn config file imports them (deploy's gunicorn config, or `-c python:kabinet.core.gunicorn_hooks`):

    from kabinet.core.gunicorn_hooks import child_exit, on_starting  # noqa: F401

on_starting empties the instance's PROMETHEUS_MULTIPROC_DIR: files left by a previous run
would be summed into the new one's counters. child_exit tells prometheus_client a worker is
gone, so its live gauges stop counting (its counters stay, as they should: what it served
was served). Both run in gunicorn's master process.
"""

import os
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")


def _directory() -> Path | None:
    from django.conf import settings

    path = settings.KABINET_PROMETHEUS_MULTIPROC_DIR
    return Path(path) if path else None


def on_starting(server) -> None:
    directory = _directory()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    if _directory() is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_directory()))
