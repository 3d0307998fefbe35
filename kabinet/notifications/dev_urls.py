from django.urls import path

from kabinet.notifications.dev_views import outbox

app_name = "dev"
urlpatterns = [path("outbox/", outbox, name="outbox")]
