from django.urls import include, path

from millet.sales import cart_views, checkout_views, staff_views, till_views, views

# Mounted at the site's root (millet/urls.py): the shopper's /orders/ pages and the cart and
# checkout under /shop/<market>/, all in the "sales" namespace (the product pages post to
# sales:cart-add).
app_name = "sales"
orders = [
    path("", views.orders, name="orders"),
    path("returns/", staff_views.returns, name="returns"),
    path("returns/<int:pk>/", staff_views.return_request, name="return_request"),
    path("<str:number>/", views.order, name="order"),
    path("<str:number>/cancel/", views.cancel, name="cancel"),
    path("<str:number>/return/", views.request_return, name="request_return"),
    path("<str:number>/invoice.pdf", views.invoice, name="invoice"),
    path("<str:number>/ship/", staff_views.ship, name="ship"),
    path("<str:number>/confirmation/", checkout_views.confirmation, name="confirmation"),
]
shop = [
    path("cart/", cart_views.cart, name="cart"),
    path("cart/add/", cart_views.cart_add, name="cart-add"),
    path("cart/line/", cart_views.cart_line, name="cart-line"),
    path("cart/voucher/", cart_views.cart_voucher, name="cart-voucher"),
    path("checkout/", checkout_views.checkout, name="checkout"),
]
till = [
    path("", till_views.till_home, name="till-home"),
    path("<str:store_code>/", till_views.till, name="till"),
    path("<str:store_code>/receipt/<str:number>/", till_views.receipt, name="till-receipt"),
    path("<str:store_code>/pickup/", till_views.pickup, name="till-pickup"),
    path("<str:store_code>/return/", till_views.till_return, name="till-return"),
    path("<str:store_code>/close/", till_views.close_day, name="till-close"),
]
urlpatterns = [
    path("orders/", include(orders)),
    path("till/", include(till)),
    path("shop/<market:market>/", include(shop)),
]
