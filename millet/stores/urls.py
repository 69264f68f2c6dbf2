from django.urls import path

from millet.stores import views

app_name = "stores"
urlpatterns = [path("dashboard/", views.dashboard, name="dashboard")]
