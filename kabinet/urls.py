from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from kabinet.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("backoffice/", include("kabinet.backoffice.urls")),
    path("", include("kabinet.portal.urls")),
]

if settings.DEBUG:
    urlpatterns.append(path("dev/", include("kabinet.notifications.dev_urls")))
