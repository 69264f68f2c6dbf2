from django.urls import path

from millet.web import views

app_name = "web"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("staff/", views.staff_home, name="staff"),
]
