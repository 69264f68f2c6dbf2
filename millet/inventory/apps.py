from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "millet.inventory"
    label = "inventory"
