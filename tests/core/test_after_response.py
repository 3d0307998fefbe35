"""core.after_response: work put off by a request runs when the server closes the response,
after the body has been sent (PEP 3333), and at once outside a request."""

import logging

import pytest

from kabinet.core.after_response import later, wsgi


class Body(list):
    """A response body that notes when the server closed it."""

    def __init__(self, chunks, events):
        super().__init__(chunks)
        self.events = events

    def close(self):
        self.events.append("body closed")


def app_that(events, *work):
    def application(environ, start_response):
        for fn in work:
            later(fn, events)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Body([b"answer"], events)

    return application


def serve(application, events):
    """What a WSGI server does: call, send every chunk, then close."""
    body = application({}, lambda status, headers: None)
    for chunk in body:
        events.append(chunk)
    body.close()


def test_outside_a_request_the_work_runs_at_once():
    events = []
    later(events.append, "work")
    assert events == ["work"]


def test_the_work_runs_after_the_body_is_sent_and_before_the_body_closes():
    events = []
    serve(wsgi(app_that(events, lambda e: e.append("work"))), events)
    assert events == [b"answer", "work", "body closed"]


def test_a_request_that_puts_nothing_off_gets_the_applications_own_body():
    """So a server's wsgi.file_wrapper (sendfile) still recognises file downloads."""
    events = []
    body = wsgi(app_that(events))({}, lambda status, headers: None)
    assert type(body) is Body


def test_failed_work_is_logged_and_the_rest_still_runs(caplog):
    events = []

    def broken(e):
        raise RuntimeError("gateway down")

    with caplog.at_level(logging.ERROR, logger="kabinet.core.after_response"):
        serve(wsgi(app_that(events, broken, lambda e: e.append("work"))), events)
    assert events == [b"answer", "work", "body closed"]
    assert "work after the response failed" in caplog.text


def test_work_of_a_request_whose_application_raised_still_runs():
    events = []

    def application(environ, start_response):
        later(events.append, "work")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        wsgi(application)({}, lambda status, headers: None)
    assert events == ["work"]


def test_each_request_has_its_own_work():
    events = []
    application = wsgi(app_that(events, lambda e: e.append("work")))
    first = application({}, lambda status, headers: None)
    second = application({}, lambda status, headers: None)
    first.close()
    assert events == ["work", "body closed"]
    second.close()
    assert events == ["work", "body closed", "work", "body closed"]
    later(events.append, "outside")  # the scope ended with the request
    assert events[-1] == "outside"
