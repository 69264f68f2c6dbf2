from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "millet.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from millet.catalog.services import use_shelf_reader
        from millet.core import partitions
        from millet.inventory.services import shelves
        from millet.inventory.services.stock import MOVEMENT_PARTITIONS

        # Inventory sits above the catalog, whose product pages ask it about stock through this port.
        use_shelf_reader(shelves)
        partitions.register(MOVEMENT_PARTITIONS)
        self.add_links()

    @staticmethod
    def add_links() -> None:
        from millet.web import nav

        def is_supply_planner(actor) -> bool:
            return actor is not None and actor.is_supply_planner

        nav.add(
            nav.Link(
                nav.STAFF,
                "stock-requests",
                _("Stock requests to approve"),
                "inventory:requests",
                is_supply_planner,
                _("Stores' requests for units, approved as transfers from a warehouse or rejected."),
                order=25,
            )
        )
