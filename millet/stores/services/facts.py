"""The facts about a store that sales needs to do its work, with no access check: sales asks
through its ``StoreDirectory`` port, which ``StoresConfig.ready`` fills with this module.

Callers still check the actor (``Actor.require_store``) before acting on a store.
"""

from __future__ import annotations

from collections.abc import Iterable

from millet.core.errors import NotFound
from millet.sales.services import StoreFacts
from millet.stores.models import Store

_FIELDS = ("id", "code", "market_id", "location_id")


def store_facts(code: str) -> StoreFacts:
    row = Store.objects.filter(code=code, is_active=True).values_list(*_FIELDS).first()
    if row is None:
        raise NotFound(f"unknown store {code!r}", code="unknown_store")
    return StoreFacts(*row)


def stores_by_id(ids: Iterable[int]) -> dict[int, StoreFacts]:
    return {row[0]: StoreFacts(*row) for row in Store.objects.filter(pk__in=set(ids)).values_list(*_FIELDS)}
