"""The facts about a store that sales needs to do its work, with no access check: sales asks
through its ``StoreDirectory`` port, which ``StoresConfig.ready`` fills with this module.

Callers still check the actor (``Actor.require_store``) before acting on a store.
"""

from __future__ import annotations

from collections.abc import Iterable

from millet.core.errors import NotFound
from millet.sales.services import PickupStore, StoreFacts
from millet.stores.models import Store
from millet.stores.services.stores import public_stores

_FIELDS = ("id", "code", "market_id", "location_id")


def store_facts(code: str) -> StoreFacts:
    row = Store.objects.filter(code=code, is_active=True).values_list(*_FIELDS).first()
    if row is None:
        raise NotFound(f"unknown store {code!r}", code="unknown_store")
    return StoreFacts(*row)


def stores_by_id(ids: Iterable[int]) -> dict[int, StoreFacts]:
    return {row[0]: StoreFacts(*row) for row in Store.objects.filter(pk__in=set(ids)).values_list(*_FIELDS)}


def pickup_stores(market: str) -> list[PickupStore]:
    """The public stores of ``market`` (``public_stores``) for the checkout's store picker."""
    return [
        PickupStore(
            facts=StoreFacts(store.pk, store.code, store.market_id, store.location_id),
            name=store.name,
            city=store.city,
            address=store.address,
            opening_hours=store.opening_hours,
        )
        for store in public_stores(market)
    ]
