"""The facts about a store other domains need to do their work (sales, inventory), with no access check.

Callers still check the actor (``Actor.require_store``) before acting on a store.
"""

from __future__ import annotations

from dataclasses import dataclass

from millet.core.errors import NotFound
from millet.stores.models import Store


@dataclass(frozen=True)
class StoreFacts:
    id: int
    code: str
    market: str
    location_id: int


def store_facts(code: str) -> StoreFacts:
    row = (
        Store.objects.filter(code=code, is_active=True).values_list("id", "market_id", "location_id").first()
    )
    if row is None:
        raise NotFound(f"unknown store {code!r}", code="unknown_store")
    return StoreFacts(id=row[0], code=code, market=row[1], location_id=row[2])
