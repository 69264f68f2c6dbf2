"""Stock locations (warehouses and stores' shelves), and who may see or move their stock."""

from __future__ import annotations

import math
from decimal import Decimal

from millet.accounts.actor import Actor
from millet.core.errors import Forbidden, NotFound
from millet.inventory.models import (
    Location,
)


def create_location(
    *, code: str, name: str, kind: str, market: str, city: str, latitude: Decimal, longitude: Decimal
) -> Location:
    return Location.objects.create(
        code=code, name=name, kind=kind, market_id=market, city=city, latitude=latitude, longitude=longitude
    )


def get_location(code: str) -> Location:
    location = Location.objects.filter(code=code, is_active=True).first()
    if location is None:
        raise NotFound(f"unknown location {code!r}", code="unknown_location")
    return location


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance; good enough to rank warehouses by nearness."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def require_location(actor: Actor, location: Location, *, manager: bool = False) -> None:
    """Who may see or move a location's stock: staff anywhere; a store's staff only there (moving
    stock out needs its manager); warehouses are staff-only."""
    if actor.is_staff:
        return
    if location.kind != Location.Kind.STORE:
        raise Forbidden("warehouses are staff-only")
    actor.require_location(location.pk, manager=manager)
