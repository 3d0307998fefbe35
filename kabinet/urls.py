from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from kabinet.api.api import api
from kabinet.core.views import healthz, prometheus_metrics, readyz

urlpatterns = [
    # Served by core.probes.ProbeMiddleware before host checks; routed too, for reverse() and the URL walks.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", prometheus_metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("backoffice/", include("kabinet.backoffice.urls")),
    path("payments/", include("kabinet.payments.urls")),
    path("api/v1/", api.urls),
    path("", include("kabinet.portal.urls")),
]

# The 400 page names the file limits; 400, 403 and 404 render for a request refused before it
# had a user (a foreign Host); the 500 page needs neither the database nor a request.
handler400 = "kabinet.core.errors.bad_request"
handler403 = "kabinet.core.errors.permission_denied"
handler404 = "kabinet.core.errors.page_not_found"
handler500 = "kabinet.core.errors.server_error"

if settings.DEBUG:
    urlpatterns.append(path("dev/", include("kabinet.notifications.dev_urls")))
