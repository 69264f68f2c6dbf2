from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "millet.sales"
    label = "sales"
