from django.urls import path

from millet.insurance import shopper_views

# Mounted at /account/protection/ (millet/urls.py): the shopper's own policies and claims.
app_name = "protection"
urlpatterns = [
    path("", shopper_views.protection, name="home"),
    path("buy/", shopper_views.protect, name="buy"),
    path("<str:number>/claim/", shopper_views.file_claim, name="claim"),
]
