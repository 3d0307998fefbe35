"""Tests talk plain HTTP: Django's test client and pytest-django's live_server (which the
browser tests open at http://localhost:…). With DJANGO_DEBUG off by default the settings would
redirect every request to https, so the redirect is switched off here — everything else
(Secure cookies, DEBUG off) stays as in production.

A plugin, not conftest.py: pytest-django imports the settings before any conftest is read.
pyproject.toml loads it with `-p tests.plain_http`. The variable is set only while the settings
load, so subprocesses that tests start (`check --deploy`) see the environment they are given.
"""

import os

import pytest

HTTP_ONLY = {"KABINET_SECURE_SSL_REDIRECT": "0"}


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    added = {name: value for name, value in HTTP_ONLY.items() if name not in os.environ}
    os.environ.update(added)
    try:
        return (yield)
    finally:
        for name in added:
            os.environ.pop(name, None)
