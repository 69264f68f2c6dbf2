from django.urls import path

from millet.inventory import views

app_name = "inventory"
urlpatterns = [
    path("requests/", views.requests, name="requests"),
    path("requests/<int:request_id>/", views.decide, name="decide"),
]
