"""The inventory domain's service API: the only code that changes stock. Routes, admin, commands and
other domains (sales holds and ships units, stores opens locations) call only these names."""

from millet.inventory.services.levels import (
    Availability,
    StockLevel,
    StoreAvailability,
    availability,
    location_stock,
    replenishment_suggestions,
    stock_levels,
)
from millet.inventory.services.locations import (
    create_location,
    get_location,
    usable_location,
)
from millet.inventory.services.purchasing import (
    add_backorder,
    cancel_backorders,
    create_purchase_order,
    fill_backorders,
    receive_purchase_order,
    waiting_backorders,
)
from millet.inventory.services.reservations import (
    Held,
    HoldRequest,
    confirm_reservations,
    consume_reservations,
    expire_reservations,
    held_for,
    release_reservations,
    reserve_many,
    reserve_stock,
)
from millet.inventory.services.serials import return_units, serials_on_shelf, skus_of_serials, unit_at
from millet.inventory.services.shelves import shelves
from millet.inventory.services.stock import (
    MAX_QUANTITY,
    OutOfStock,
    check_quantity,
    receive_units,
)
from millet.inventory.services.transfers import receive_transfer, transfer_stock

__all__ = [
    "Availability",
    "Held",
    "HoldRequest",
    "MAX_QUANTITY",
    "OutOfStock",
    "StockLevel",
    "StoreAvailability",
    "add_backorder",
    "availability",
    "cancel_backorders",
    "check_quantity",
    "confirm_reservations",
    "consume_reservations",
    "create_location",
    "create_purchase_order",
    "expire_reservations",
    "fill_backorders",
    "get_location",
    "held_for",
    "location_stock",
    "receive_purchase_order",
    "receive_transfer",
    "receive_units",
    "release_reservations",
    "replenishment_suggestions",
    "reserve_many",
    "reserve_stock",
    "return_units",
    "serials_on_shelf",
    "shelves",
    "skus_of_serials",
    "stock_levels",
    "transfer_stock",
    "unit_at",
    "usable_location",
    "waiting_backorders",
]
