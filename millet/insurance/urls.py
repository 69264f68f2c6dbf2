from django.urls import path

from millet.insurance import views

app_name = "insurance"
urlpatterns = [
    path("", views.queue, name="claims"),
    path("<str:number>/decide/", views.decide, name="decide"),
    path("<str:number>/pay/", views.pay, name="pay"),
]
