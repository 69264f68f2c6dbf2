"""Click-and-collect's store picker: each store of a market, its opening hours, and whether it
has every unit of a cart on its shelf right now (inventory's levels, reserved units excluded)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from millet.inventory.services import stock_levels
from millet.sales.services.stores import PickupStore, pickup_stores

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class PickupOption:
    store: PickupStore
    hours: list[tuple[int, str, str]]  # (weekday 0 = Monday, opens, closes) in local time; closed days absent
    has_items: bool  # every wanted unit is available there now


def pickup_options(market: str, wanted: Mapping[int, int]) -> list[PickupOption]:
    """The market's pickup stores for ``wanted`` (SKU id -> units), stores that have them first."""
    stores = pickup_stores(market)
    available: dict[tuple[int, int], int] = {}  # (store id, SKU id) -> units available
    for store in stores if wanted else ():  # a handful of stores per market: one small query each
        for level in stock_levels(sku_ids=list(wanted), location_ids=[store.facts.location_id]):
            available[store.facts.id, level.sku_id] = level.available
    options = [
        PickupOption(
            store=store,
            hours=[
                (i, *store.opening_hours[day]) for i, day in enumerate(DAYS) if day in store.opening_hours
            ],
            has_items=bool(wanted)
            and all(available.get((store.facts.id, sku), 0) >= units for sku, units in wanted.items()),
        )
        for store in stores
    ]
    return sorted(options, key=lambda option: not option.has_items)
