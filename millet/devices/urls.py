"""The device owner's app under /devices/ (see ``views``). Other device pages add their paths here."""

from django.urls import path

from millet.devices import views

app_name = "devices"
urlpatterns = [
    path("", views.devices, name="devices"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("homes/", views.create_home, name="create_home"),
    path("<str:device_id>/", views.device, name="device"),
    path("<str:device_id>/place", views.place, name="place"),
    path("<str:device_id>/set", views.set_property, name="set"),
    path("<str:device_id>/action", views.run_action, name="action"),
    path("<str:device_id>/events", views.events, name="events"),
    path("<str:device_id>/history/<str:prop>.svg", views.history_chart, name="history"),
]
