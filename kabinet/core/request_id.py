"""One id per request, in every log line the request writes and in the tasks it starts.

nginx (or any proxy) may pass an id in X-Request-ID so its access log and ours can be joined;
a missing or odd one (too long, characters outside a safe set: it goes into logs and headers)
is replaced by a fresh one. The id lives in a context variable: the logging filter reads it,
Celery's publish signal copies it into the task's headers, and the worker puts it back for the
task's run (`connect_celery`).
"""

from collections.abc import Callable
from contextvars import ContextVar
import logging
import re
import uuid

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
TASK_HEADER = "kabinet_request_id"
_VALID = re.compile(r"[A-Za-z0-9._:-]{8,128}")

_current: ContextVar[str] = ContextVar("kabinet_request_id", default="")


def current() -> str:
    """The id of the request (or the task it started) this code runs for; "" outside both."""
    return _current.get()


def accepted(value: str | None) -> str:
    """The caller's id when it is safe to repeat in logs and headers, else a fresh one."""
    if value and _VALID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in MIDDLEWARE, so everything after it (and the tasks it queues) logs the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted(request.headers.get(HEADER))
        request.request_id = request_id
        # Kept until the request is finished (`_forget`), not reset on the way out: Django logs
        # a 4xx/5xx (django.request) after the middleware returned, and that line needs it too.
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _forget(**_: object) -> None:
    _current.set("")


request_finished.connect(_forget, dispatch_uid="kabinet_request_id_finished")


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` attribute ("" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


# --- Celery ---------------------------------------------------------------------------------
def _publish(headers: dict | None = None, **_: object) -> None:
    request_id = _current.get()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def _task_id(request: object) -> str:
    # Celery puts a message's extra headers on the task's request as attributes; some
    # versions keep them under `headers` too.
    value = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    return accepted(str(value)) if value else ""


def _started(task=None, **_: object) -> None:
    # An eager task runs inside its caller and already has the caller's id.
    if task is not None and not task.request.is_eager:
        _current.set(_task_id(task.request))


def _finished(task=None, **_: object) -> None:
    if task is not None and not task.request.is_eager:
        _current.set("")  # a worker process runs task after task: no id leaks to the next


def connect_celery() -> None:
    """Hook the id into publishing and running tasks (called once, by kabinet.celery)."""
    from celery import signals

    signals.before_task_publish.connect(_publish, weak=False, dispatch_uid="kabinet_request_id_publish")
    signals.task_prerun.connect(_started, weak=False, dispatch_uid="kabinet_request_id_prerun")
    signals.task_postrun.connect(_finished, weak=False, dispatch_uid="kabinet_request_id_postrun")
