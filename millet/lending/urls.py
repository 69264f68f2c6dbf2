from django.urls import path

from millet.lending import counter_views, loan_views, pay_views, views

app_name = "lending"
urlpatterns = [
    path("counter/<str:store_code>/<str:number>/", counter_views.counter, name="counter"),
    path("loans/", loan_views.loans, name="loans"),
    path("loans/<str:number>/", loan_views.loan, name="loan"),
    path("monitoring/", views.monitoring, name="monitoring"),
    path("pay/<str:number>/", pay_views.pay, name="pay"),
    path("reviews/", views.review_queue, name="reviews"),
    path("reviews/<str:number>/", views.decide, name="decide"),
]
