"""Work a request starts that its client must neither wait for nor be able to time.

`later(fn, *args)` runs `fn(*args)` once the response has been sent. `wsgi(application)`
(kabinet/wsgi.py) scopes each request: when a request asked for such work, its body is handed
to the server in a wrapper whose close() runs the work and then Django's own close (whose
request_finished tidies the database connection the work used). PEP 3333 servers (runserver,
gunicorn, granian) call close() after the last byte went out, so the client has its answer
before the work starts. Outside a request served that way (a command, a Celery worker, the
test client, which has no such scope, ASGI) the work runs at once, as before.

Why: without a broker Celery runs tasks eagerly, in the request that queued them, so their
duration showed in the answer. Recovery by e-mail hands its step here, so a customer's
address is answered as fast as an unknown one (bench/recovery_timing.py). The work still
holds the server's thread afterwards: the next request on the same keep-alive connection
waits for it (docs/identifiers.md has the figures).
"""

from collections.abc import Callable, Iterable
from contextvars import ContextVar
import logging

log = logging.getLogger(__name__)

Call = tuple[Callable[..., object], tuple]
# The calls the current request has put off; None outside a scoped request.
_pending: ContextVar[list[Call] | None] = ContextVar("kabinet_after_response", default=None)


def later(fn: Callable[..., object], *args: object) -> None:
    """Run `fn(*args)` after the current response has been sent, or now outside a request."""
    pending = _pending.get()
    if pending is None:
        fn(*args)
    else:
        pending.append((fn, args))


def _run(calls: list[Call]) -> None:
    for fn, args in calls:
        try:
            fn(*args)
        except Exception:  # the answer is gone: log it, and let the rest run
            log.exception("work after the response failed: %r", fn)


class _ThenRun:
    """The application's body, unchanged; its close() runs the put-off work first."""

    def __init__(self, body: Iterable[bytes], calls: list[Call]):
        self.body = body
        self.calls = calls

    def __iter__(self):
        return iter(self.body)

    def close(self) -> None:
        try:
            _run(self.calls)
        finally:
            if hasattr(self.body, "close"):
                self.body.close()


def wsgi(application: Callable) -> Callable:
    """`application`, with `later` putting work off until each response has been sent."""

    def serve(environ: dict, start_response: Callable) -> Iterable[bytes]:
        pending: list[Call] = []
        scope = _pending.set(pending)
        try:
            body = application(environ, start_response)
        except Exception:
            _run(pending)  # what the request committed to still happens
            raise
        finally:
            _pending.reset(scope)
        return _ThenRun(body, pending) if pending else body

    return serve
