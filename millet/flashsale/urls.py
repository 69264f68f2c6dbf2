from django.urls import path

from millet.flashsale import views

app_name = "flashsale"
urlpatterns = [
    path("<market:market>/flash/", views.sales, name="sales"),
    path("<market:market>/flash/<slug:code>/", views.sale, name="sale"),
    path("<market:market>/flash/<slug:code>/claim", views.claim, name="claim"),
    path("<market:market>/flash/<slug:code>/waitlist", views.join_waitlist, name="waitlist"),
    path("<market:market>/flash/<slug:code>/claims/<slug:gate_id>/", views.claim_page, name="claim_page"),
    path("<market:market>/flash/<slug:code>/claims/<slug:gate_id>/pay", views.pay, name="pay"),
]
