from django.urls import path

from millet.finance.lending import views

app_name = "lending"
urlpatterns = [path("monitoring/", views.monitoring, name="monitoring")]
