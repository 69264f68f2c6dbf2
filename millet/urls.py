from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from millet.api import api

admin.site.site_header = "Millet back office"
admin.site.site_title = "Millet"

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("stores/", include("millet.stores.urls")),
    path("lending/", include("millet.lending.urls")),
]
