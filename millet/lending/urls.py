from django.urls import path

from millet.lending import views

app_name = "lending"
urlpatterns = [
    path("monitoring/", views.monitoring, name="monitoring"),
    path("reviews/", views.review_queue, name="reviews"),
    path("reviews/<str:number>/", views.decide, name="decide"),
]
