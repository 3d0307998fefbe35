from django.urls import path

from kabinet.payments import views

app_name = "payments"
urlpatterns = [
    path("notifications/", views.notification, name="notifications"),
    path("demo/<uuid:charge_id>/", views.demo_page, name="demo"),
]
