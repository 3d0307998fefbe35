from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache

from kabinet.core import health, metrics
from kabinet.core.net import client_ip, in_networks


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches nothing else, so a database outage does not get
    every app server restarted (that is /readyz's business: take it out of the pool)."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, cache and broker, each "ok" or, for the addresses in
    KABINET_METRICS_ALLOWED_IPS, its error ("fail" for anyone else: the texts name hosts
    and users); 503 if any failed."""
    results = health.readiness()
    ready = health.report_readiness(results)
    if not in_networks(client_ip(request), settings.KABINET_METRICS_ALLOWED_IPS):
        results = {name: "ok" if value == "ok" else "fail" for name, value in results.items()}
    response = JsonResponse(results, status=200 if ready else 503)
    # A prober asks every few seconds: Django's own ERROR line per 503 would flood the log
    # during an outage; report_readiness wrote one WARNING when the state changed.
    response._has_been_logged = True
    return response


@never_cache
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for the addresses in KABINET_METRICS_ALLOWED_IPS only."""
    if not in_networks(client_ip(request), settings.KABINET_METRICS_ALLOWED_IPS):
        return HttpResponseForbidden("forbidden", content_type="text/plain; charset=utf-8")
    return HttpResponse(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
