from django.urls import path

from millet.sales import views

app_name = "sales"
urlpatterns = [
    path("", views.orders, name="orders"),
]
