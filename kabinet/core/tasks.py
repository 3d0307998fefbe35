"""A task that only logs: checks a worker end to end (`celery -A kabinet call
kabinet.core.tasks.ping` and the worker's log), and the tests of request ids in tasks."""

import logging

from celery import shared_task

from kabinet.core import request_id

log = logging.getLogger(__name__)


@shared_task
def ping(text: str = "ping") -> str:
    """Logs `text` and returns the request id the task runs under ("" if none)."""
    log.info("%s", text)
    return request_id.current()
