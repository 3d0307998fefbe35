"""Probes answer before the rest of the middleware.

A load balancer or Prometheus asks an app server directly (http://127.0.0.1:8101/healthz),
by plain HTTP and with the server's address as Host. Through the whole chain that would be
redirected to HTTPS (SECURE_SSL_REDIRECT) or refused as a foreign host (ALLOWED_HOSTS holds
the public name only), and every scrape would count in the request metrics it reports. So
the three probe paths are served here, after the request id is set and before anything
else; /metrics keeps its own address check.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kabinet.core import views

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
    "/metrics": views.prometheus_metrics,
}


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
