"""kabinet.urls under another prefix: the same names, other paths."""

from django.urls import include, path

from kabinet.urls import urlpatterns as portal

urlpatterns = [path("moved/", include(portal))]
