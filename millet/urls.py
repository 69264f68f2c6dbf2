"""The site's URLs. Pages: the store under /shop/<market>/ (``/`` redirects to the visitor's market),
the shopper's /account/ (Millet's profile and addresses, then django-allauth's sign-in, sign-up,
verification and password reset), /orders/, /cameras/ (a camera's snapshots), /devices/ (the device
owner's app), the staff landing page /staff/, the staff dashboards and /insights/; the API under
/api/; the back office under /admin/; uploads under /media/. See docs/WEB.md."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from millet.api import api


def media(request, path: str):
    """Uploaded product photos. Only raster images Pillow has read are accepted (catalog.images), so
    Django's file view serves them itself (with nosniff), on a laptop as behind a proxy; the folder
    is read per request, as settings name it then."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


# Django's last resort for what a middleware raised: a Redis outage answers 503, anything else 500.html.
handler500 = "millet.core.outage.server_error"

urlpatterns = [
    path("", include("millet.web.urls")),
    path("", include("millet.sales.urls")),  # /orders/ and /shop/<market>/cart/, checkout/
    path("shop/", include("millet.catalog.urls")),
    path("shop/", include("millet.flashsale.urls")),
    path("account/protection/", include("millet.insurance.shopper_urls")),
    path("account/", include("millet.accounts.urls")),
    path("account/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: POST with CSRF, checks "next"
    path("admin/", admin.site.urls),
    path("api/broker/", include("millet.devices.broker_urls")),  # the MQTT broker's auth questions
    path("api/", api.urls),
    path("stores/", include("millet.stores.urls")),
    path("lending/", include("millet.lending.urls")),
    path("stock/", include("millet.inventory.urls")),
    path("claims/", include("millet.insurance.urls")),
    path("insights/", include("millet.insights.urls")),
    path("cameras/", include("millet.vision.urls")),
    path("devices/", include("millet.devices.owner_urls")),  # first: automations, sharing, claim, updates
    path("devices/", include("millet.devices.urls")),  # homes, a device's page, its live stream and charts
    re_path(r"^media/(?P<path>.*)$", media),
]
