from django.urls import path

from millet.sales import staff_views, views

app_name = "sales"
urlpatterns = [
    path("", views.orders, name="orders"),
    path("returns/", staff_views.returns, name="returns"),
    path("returns/<int:pk>/", staff_views.return_request, name="return_request"),
    path("<str:number>/", views.order, name="order"),
    path("<str:number>/cancel/", views.cancel, name="cancel"),
    path("<str:number>/return/", views.request_return, name="request_return"),
    path("<str:number>/invoice.pdf", views.invoice, name="invoice"),
    path("<str:number>/ship/", staff_views.ship, name="ship"),
]
