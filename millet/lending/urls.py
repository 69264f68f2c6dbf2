from django.urls import path

from millet.lending import views

app_name = "lending"
urlpatterns = [path("monitoring/", views.monitoring, name="monitoring")]
