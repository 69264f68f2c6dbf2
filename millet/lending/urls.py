from django.urls import path

from millet.lending import pay_views, views

app_name = "lending"
urlpatterns = [
    path("monitoring/", views.monitoring, name="monitoring"),
    path("pay/<str:number>/", pay_views.pay, name="pay"),
    path("reviews/", views.review_queue, name="reviews"),
    path("reviews/<str:number>/", views.decide, name="decide"),
]
