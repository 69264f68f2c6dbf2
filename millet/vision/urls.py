from django.urls import path

from millet.vision import views

app_name = "vision"
urlpatterns = [
    path("", views.cameras, name="cameras"),
    path("<str:device_id>/", views.camera, name="camera"),
    path("snapshots/<int:snapshot_id>/image", views.snapshot_image, name="snapshot_image"),
]
