"""What a product page says about stock: in stock, low stock, back-order with its date, or sold out.

Stock is inventory's (one inventory for every channel), and inventory sits above the catalog, so the
catalog cannot import it. Inventory names its reader here when it starts
(``InventoryConfig.ready``: ``use_shelf_reader(inventory.services.shelves)``); the store's pages
only ask. Without an inventory app nothing is on the shelf.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

ShelfState = Literal["in_stock", "low", "backorder", "sold_out"]


@dataclass(frozen=True)
class Shelf:
    """A SKU's stock for a web order in one market: ``available`` units in the market's warehouses
    (reserved ones excluded); ``ships_by`` is set for a back-order (when the next units arrive)."""

    state: ShelfState
    available: int
    ships_by: date | None = None


ShelfReader = Callable[[Iterable[str], str], dict[str, Shelf]]


def _nothing(sku_codes: Iterable[str], market: str) -> dict[str, Shelf]:
    return {code: Shelf("sold_out", 0) for code in sku_codes}


_reader: ShelfReader = _nothing


def use_shelf_reader(reader: ShelfReader) -> None:
    """Called once by inventory when it starts: ``reader(sku_codes, market)`` answers ``shelves``."""
    global _reader
    _reader = reader


def shelves(sku_codes: Iterable[str], market: str) -> dict[str, Shelf]:
    """SKU code -> its ``Shelf`` in ``market`` (a market code such as "CN"), for SKUs the catalog
    knows; an unknown code is NotFound ``unknown_sku``."""
    return _reader(list(sku_codes), market)
