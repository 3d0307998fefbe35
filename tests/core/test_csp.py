"""core.csp.CSPMiddleware: the headers django-csp's middleware writes, the common ones built once."""

from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory
import pytest

from kabinet.core import csp

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")


def headers(middleware_class, view, path="/", status=200) -> dict:
    request = RequestFactory().get(path)
    middleware = middleware_class(lambda request: view(request))
    middleware.process_request(request)
    response = view(request)
    response.status_code = status
    response = middleware.process_response(request, response)
    return {name: response.get(name) for name in HEADERS}


def page(request):
    return HttpResponse("page")


def with_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


@csp_update({"form-action": ["https://yoomoney.ru"]})
def updated(request):
    return HttpResponse("pay")


@csp_exempt()
def exempt(request):
    return HttpResponse("exempt")


REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-report/"}}


@pytest.mark.parametrize("view", [page, with_nonce, updated, exempt], ids=lambda v: v.__name__)
@pytest.mark.parametrize("report_only", [None, REPORT_ONLY], ids=["enforced", "with-report-only"])
def test_the_same_headers_as_django_csp(settings, view, report_only):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = report_only
    ours = headers(csp.CSPMiddleware, view)
    assert ours == headers(DjangoCSPMiddleware, view)
    assert ours["Content-Security-Policy"] or view is exempt
    assert bool(ours["Content-Security-Policy-Report-Only"]) == (report_only is not None)  # csp_exempt(): enforced only


def test_excluded_prefixes_and_debug_pages_as_django_csp(settings):
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/skip"]}
    assert headers(csp.CSPMiddleware, page, "/skip/x") == headers(DjangoCSPMiddleware, page, "/skip/x")
    assert headers(csp.CSPMiddleware, page, "/skip/x")["Content-Security-Policy"] is None
    settings.DEBUG = True
    assert headers(csp.CSPMiddleware, page, status=404) == headers(DjangoCSPMiddleware, page, status=404)


def test_the_policy_is_built_once_and_again_when_the_settings_change(settings, monkeypatch):
    built = []
    build = csp.build_policy
    monkeypatch.setattr(csp, "build_policy", lambda **kw: built.append(kw) or build(**kw))
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"]}}
    for _ in range(3):
        assert headers(csp.CSPMiddleware, page)["Content-Security-Policy"] == "default-src 'self'"
    assert len(built) == 2  # the policy and its report-only twin, once
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert headers(csp.CSPMiddleware, page)["Content-Security-Policy"] == "default-src 'none'"


def test_a_nonce_asked_for_after_the_header_is_refused():
    request = RequestFactory().get("/")
    middleware = csp.CSPMiddleware(page)
    middleware.process_request(request)
    middleware.process_response(request, page(request))
    with pytest.raises(Exception, match="not available after the CSP header"):
        str(request.csp_nonce)


def test_settings_use_it():
    from django.conf import settings

    assert "kabinet.core.csp.CSPMiddleware" in settings.MIDDLEWARE
    assert "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE
