from django.urls import path

from millet.stores import manager_views, views

app_name = "stores"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("mine/", manager_views.mine, name="mine"),
    path("<str:code>/", manager_views.manage, name="manage"),
    path("<str:code>/requests/", manager_views.request_stock, name="request-stock"),
    path("<str:code>/receive/<int:transfer_id>/", manager_views.receive, name="receive"),
]
