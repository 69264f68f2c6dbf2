"""The site's URLs. Pages: the store under /shop/<market>/ (``/`` redirects to the visitor's market),
the shopper's /account/ (Millet's profile and addresses, then django-allauth's sign-in, sign-up,
verification and password reset) and /orders/, the staff landing page /staff/ and the staff
dashboards; the API under /api/; the back office under /admin/. See docs/WEB.md."""

from django.contrib import admin
from django.urls import include, path

from millet.api import api

urlpatterns = [
    path("", include("millet.web.urls")),
    path("shop/", include("millet.catalog.urls")),
    path("account/", include("millet.accounts.urls")),
    path("account/", include("allauth.urls")),
    path("orders/", include("millet.sales.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: POST with CSRF, checks "next"
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("stores/", include("millet.stores.urls")),
    path("lending/", include("millet.lending.urls")),
]
