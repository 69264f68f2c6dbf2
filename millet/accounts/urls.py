from django.urls import path

from millet.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("addresses/", views.addresses, name="addresses"),
    path("addresses/new/", views.address_new, name="address_new"),
    path("addresses/<int:address_id>/", views.address_edit, name="address_edit"),
    path("addresses/<int:address_id>/delete/", views.address_delete, name="address_delete"),
]
