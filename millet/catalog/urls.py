from django.urls import path

from millet.catalog import views

app_name = "catalog"
urlpatterns = [
    path("<market:market>/", views.home, name="home"),
    path("<market:market>/category/<slug:category>/", views.category, name="category"),
    path("<market:market>/search/", views.search, name="search"),
    path("<market:market>/product/<slug:slug>/", views.product, name="product"),
]
