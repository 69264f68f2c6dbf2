"""Stock locations (warehouses and stores' shelves), and who may see or move their stock."""

from __future__ import annotations

import math
from decimal import Decimal

from millet.accounts.actor import Actor
from millet.core.errors import Forbidden, NotFound
from millet.inventory.models import (
    Location,
    Stock,
)
from millet.regions.services import check_state


def create_location(
    *,
    code: str,
    name: str,
    kind: str,
    market: str,
    city: str,
    latitude: Decimal,
    longitude: Decimal,
    state: str = "",
) -> Location:
    """A warehouse or a store's shelf. ``state`` (ISO 3166-2, e.g. "IN-KA") is where goods shipped
    from here are supplied from, which decides India's IGST; 422 ``unknown_state`` if not the market's."""
    return Location.objects.create(
        code=code,
        name=name,
        kind=kind,
        market_id=market,
        city=city,
        state=check_location(market, state),
        latitude=latitude,
        longitude=longitude,
    )


def check_location(market: str, state: str) -> str:
    """The state a location in ``market`` may name (``create_location``'s rule, and the back office's
    location form's): an ISO 3166-2 code of that market, or ""; 422 ``unknown_state``."""
    return check_state(market, state)


def has_stock(location_id: int) -> bool:
    """Whether any stock row was ever kept at the location: its market is then fixed, since its units
    are reserved, sold and counted in that market."""
    return Stock.objects.filter(location_id=location_id).exists()


def get_location(code: str) -> Location:
    location = Location.objects.filter(code=code, is_active=True).first()
    if location is None:
        raise unknown_location(code)
    return location


def unknown_location(code: str) -> NotFound:
    """The answer for a code that names no location, and for one the caller may not use."""
    return NotFound(f"unknown location {code!r}", code="unknown_location", facts={"location": code})


def require_stock_role(actor: Actor) -> None:
    """Stock by location is for staff, supply planners and store staff; anyone else is refused before
    any code or id is looked up, so the refusal is the same whether it names something or not."""
    if not (actor.is_store_staff or actor.is_supply_planner):
        raise Forbidden("staff and store staff only")


def usable_location(actor: Actor, code: str, *, manager: bool = False) -> Location:
    """A location whose stock the actor may see (or move out, with ``manager``); another store's
    location or a warehouse answers exactly as an unknown code (404), a customer gets 403."""
    require_stock_role(actor)
    location = get_location(code)
    require_location(actor, location, manager=manager)
    return location


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance; good enough to rank warehouses by nearness."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def require_location(actor: Actor, location: Location, *, manager: bool = False) -> None:
    """Who may see or move a location's stock: staff and supply planners anywhere; a store's staff
    only there (moving stock out needs its manager). A warehouse or another store's location is not
    the caller's, so it answers as unknown (404, never a 403 that would confirm it exists); a
    customer gets 403."""
    if actor.is_supply_planner:
        return
    require_stock_role(actor)
    if location.kind != Location.Kind.STORE or location.pk not in actor.location_roles:
        raise unknown_location(location.code)
    actor.require_location(location.pk, manager=manager)
