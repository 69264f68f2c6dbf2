from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "millet.stores"
    label = "stores"
