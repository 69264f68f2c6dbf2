from django.urls import path

from millet.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.goals, name="goals"),
    path("goals.csv", views.goals_csv, name="goals-csv"),
]
