"""Celery application. Tasks run eagerly (in-process) unless CELERY_BROKER_URL is set."""

import os

from celery import Celery, signals

from kabinet.core.request_id import connect_celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kabinet.settings")

app = Celery("kabinet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A task's log lines carry the id of the request that queued it.
connect_celery()


@signals.setup_logging.connect(weak=False)
def keep_django_logging(**_: object) -> None:
    """The worker logs through settings.LOGGING (text or JSON, with request ids), which Django
    set up; Celery would otherwise replace the root logger's handlers with its own format."""
