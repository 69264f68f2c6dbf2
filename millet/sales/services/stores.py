"""The stores sales sells at, as sales needs to know them: id, code, market and stock location.

Stores sit above sales (a store's dashboard reads what sales booked), so sales cannot import them.
The stores domain names its directory here when it starts (``StoresConfig.ready``); sales only
asks. Without a stores app every store is unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from millet.accounts.actor import Actor
from millet.core.errors import NotFound


@dataclass(frozen=True)
class StoreFacts:
    id: int
    code: str
    market: str
    location_id: int


@dataclass(frozen=True)
class PickupStore:
    """A store a shopper may collect an order at, as the checkout's store picker shows it."""

    facts: StoreFacts
    name: str
    city: str
    address: str
    opening_hours: dict[str, list[str]]  # {"mon": ["10:00", "22:00"], ...}, local time; missing: closed


class StoreDirectory(Protocol):
    def store_facts(self, code: str) -> StoreFacts:
        """An active store by code, or NotFound ``unknown_store``."""

    def stores_by_id(self, ids: Iterable[int]) -> dict[int, StoreFacts]:
        """Stores by id, active or not (an old order's store may have closed)."""

    def pickup_stores(self, market: str) -> list[PickupStore]:
        """The market's open, public stores, by city then code."""


class _NoStores:
    def store_facts(self, code: str) -> StoreFacts:
        raise NotFound(f"unknown store {code!r}", code="unknown_store")

    def stores_by_id(self, ids: Iterable[int]) -> dict[int, StoreFacts]:
        return {}

    def pickup_stores(self, market: str) -> list[PickupStore]:
        return []


_directory: StoreDirectory = _NoStores()


def use_store_directory(directory: StoreDirectory) -> None:
    global _directory
    _directory = directory


def store_facts(code: str) -> StoreFacts:
    return _directory.store_facts(code)


def stores_by_id(ids: Iterable[int]) -> dict[int, StoreFacts]:
    return _directory.stores_by_id(ids)


def pickup_stores(market: str) -> list[PickupStore]:
    return _directory.pickup_stores(market)


def store_of(store_id: int | None) -> StoreFacts | None:
    """The store an order names (its selling or pickup store), or None for the web channel."""
    return stores_by_id([store_id])[store_id] if store_id is not None else None


def till_store(actor: Actor, store_code: str) -> StoreFacts:
    """The store if the actor sells there (its cashiers and managers, or staff); NotFound
    ``unknown_store`` otherwise, so a cashier cannot tell another store's till from none."""
    store = store_facts(store_code)
    if not actor.can_sell_at(store.id):
        raise NotFound(f"unknown store {store_code!r}", code="unknown_store")
    return store
