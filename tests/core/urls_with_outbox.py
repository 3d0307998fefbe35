"""kabinet.urls as a demo started with DEBUG on has it: the outbox routed."""

from django.urls import include, path

from kabinet.urls import urlpatterns as portal

urlpatterns = [*portal, path("dev/", include("kabinet.notifications.dev_urls"))]
