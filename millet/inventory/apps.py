from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "millet.inventory"
    label = "inventory"

    def ready(self) -> None:
        from millet.catalog.services import use_shelf_reader
        from millet.inventory.services import shelves

        # Inventory sits above the catalog, whose product pages ask it about stock through this port.
        use_shelf_reader(shelves)
