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
    """Readiness: database, cache and broker, each "ok" or its error; 503 if any failed."""
    results = health.readiness()
    ready = all(value == "ok" for value in results.values())
    return JsonResponse(results, status=200 if ready else 503)


@never_cache
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for the addresses in KABINET_METRICS_ALLOWED_IPS only."""
    if not in_networks(client_ip(request), settings.KABINET_METRICS_ALLOWED_IPS):
        return HttpResponseForbidden("forbidden", content_type="text/plain; charset=utf-8")
    return HttpResponse(metrics.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
