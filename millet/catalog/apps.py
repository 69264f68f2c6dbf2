from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "millet.catalog"
    label = "catalog"
