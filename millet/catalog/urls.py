from django.urls import path

from millet.catalog import views

app_name = "catalog"
urlpatterns = [
    path("<market:market>/", views.home, name="home"),
]
