"""The codes sales' rows name in other domains (SKUs, stores), looked up through those domains'
services, one query each, so showing many orders or a cart reads no other domain's table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from millet.catalog.services import skus_by_id
from millet.sales.models import Order, OrderLine
from millet.sales.services.stores import stores_by_id


def sku_codes(sku_ids: Iterable[int]) -> dict[int, str]:
    """SKU id -> SKU code."""
    return {sku_id: info.code for sku_id, info in skus_by_id(sku_ids).items()}


def sku_titles(sku_ids: Iterable[int]) -> dict[int, str]:
    """SKU id -> what a shopper calls it (the SKU's name, else its product's)."""
    return {sku_id: info.name or info.product_name for sku_id, info in skus_by_id(sku_ids).items()}


@dataclass(frozen=True)
class OrderNames:
    skus: dict[int, str]  # SKU id -> SKU code
    stores: dict[int, str]  # store id -> store code


def names_for(orders: Sequence[Order], lines: Iterable[OrderLine]) -> OrderNames:
    """The store codes of ``orders`` and the SKU codes of ``lines`` (theirs, as the caller read them).
    Nothing to name asks nothing: a web order has no store, and even an empty lookup builds a query."""
    store_ids = {order.store_id for order in orders if order.store_id is not None}
    sku_ids = {line.sku_id for line in lines}
    stores = stores_by_id(store_ids) if store_ids else {}
    return OrderNames(
        skus=sku_codes(sku_ids) if sku_ids else {},
        stores={store_id: store.code for store_id, store in stores.items()},
    )
