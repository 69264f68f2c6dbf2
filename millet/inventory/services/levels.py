"""Reading stock: levels per SKU and location, availability, and replenishment suggestions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.catalog.services import sku_info, skus_by_id
from millet.inventory.models import (
    Location,
    SerialUnit,
    Stock,
    StockMovement,
)
from millet.inventory.services.locations import usable_location
from millet.regions.services import get_market

# --- queries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockLevel:
    sku_id: int
    location_code: str
    location_kind: str
    quantity: int
    reserved: int

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


@dataclass(frozen=True)
class ShelfLine:
    """A store's stock of one SKU as its manager reads it: code, name, counts and the serials on hand."""

    sku_id: int
    sku_code: str
    sku_name: str
    quantity: int
    reserved: int
    serials: list[str]

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


def shelf_lines(actor: Actor, code: str) -> list[ShelfLine]:
    """Every SKU stocked at a location, by SKU code, with its serial units in stock there (oldest
    first): its staff, supply planners and staff; another store is unknown (404)."""
    location = usable_location(actor, code)
    levels = stock_levels(location_ids=[location.pk])
    serials: dict[int, list[str]] = {}
    for sku_id, serial in (
        SerialUnit.objects.filter(location=location, status=SerialUnit.Status.IN_STOCK)
        .order_by("received_at", "pk")
        .values_list("sku_id", "serial")
    ):
        serials.setdefault(sku_id, []).append(serial)
    skus = skus_by_id(level.sku_id for level in levels)
    lines = [
        ShelfLine(
            level.sku_id,
            skus[level.sku_id].code,
            skus[level.sku_id].name,
            level.quantity,
            level.reserved,
            serials.get(level.sku_id, []),
        )
        for level in levels
    ]
    return sorted(lines, key=lambda line: line.sku_code)


def location_stock(actor: Actor, code: str) -> list[StockLevel]:
    """Every SKU's stock at one location: staff, or the staff of that store."""
    location = usable_location(actor, code)
    return stock_levels(location_ids=[location.pk])


@dataclass(frozen=True)
class StoreAvailability:
    store_code: str
    available: int


@dataclass(frozen=True)
class Availability:
    """What a shopper can buy: online (the market's warehouses) and to pick up, per store."""

    sku: str
    market: str
    available_online: int
    stores: list[StoreAvailability]


def availability(sku_code: str, market: str) -> Availability:
    """Units a shopper can buy online (warehouses) and pick up per store; reserved units excluded.

    Only active locations count, as only they are reserved from (``reserve_many``): a closed
    warehouse's units are no offer. 404 ``unknown_sku``, 404 ``unknown_market`` (not an empty shelf).
    """
    get_market(market)
    levels = stock_levels(sku_ids=[sku_info([sku_code])[sku_code].id], market=market, active=True)
    online = sum(
        max(level.available, 0) for level in levels if level.location_kind == Location.Kind.WAREHOUSE
    )
    stores = [
        StoreAvailability(store_code=level.location_code, available=level.available)
        for level in levels
        if level.location_kind == Location.Kind.STORE and level.available > 0
    ]
    return Availability(sku=sku_code, market=market, available_online=online, stores=stores)


def stock_levels(
    *,
    sku_ids: Iterable[int] | None = None,
    location_ids: Iterable[int] | None = None,
    market: str | None = None,
    active: bool = False,
) -> list[StockLevel]:
    """Stock rows by SKU, then location code; ``active``: only at active locations (what can be sold)."""
    qs = Stock.objects.select_related("location").order_by("sku_id", "location__code")
    if active:
        qs = qs.filter(location__is_active=True)
    if sku_ids is not None:
        qs = qs.filter(sku_id__in=list(sku_ids))
    if location_ids is not None:
        qs = qs.filter(location_id__in=list(location_ids))
    if market:
        qs = qs.filter(location__market_id=market)
    return [StockLevel(s.sku_id, s.location.code, s.location.kind, s.quantity, s.reserved) for s in qs]


def replenishment_suggestions(actor: Actor, *, days: int = 30, cover_days: int = 21) -> list[dict]:
    """SKU/locations whose stock covers fewer than ``cover_days`` of their recent sales velocity (staff)."""
    actor.require_staff()
    return _suggestions(None, days=days, cover_days=cover_days)


def location_replenishment(actor: Actor, code: str, *, days: int = 30, cover_days: int = 21) -> list[dict]:
    """``replenishment_suggestions`` for one location (a store's low-stock alerts): its staff,
    supply planners and staff; another store is unknown (404)."""
    location = usable_location(actor, code)
    return _suggestions(location.pk, days=days, cover_days=cover_days)


def _suggestions(location_id: int | None, *, days: int, cover_days: int) -> list[dict]:
    """Rows ``{sku_id, location_id, available, per_day, suggested}``, fastest sellers first: units
    sold per day over the last ``days``, and the units that bring stock to ``cover_days`` of them."""
    since = timezone.now() - timedelta(days=days)
    sales = StockMovement.objects.filter(reason=StockMovement.Reason.SALE, created_at__gte=since)
    stock = Stock.objects.all()
    if location_id is not None:
        sales, stock = sales.filter(location_id=location_id), stock.filter(location_id=location_id)
    sold = sales.values("sku_id", "location_id").annotate(units=Sum("delta"))
    levels = {(s.sku_id, s.location_id): s.quantity - s.reserved for s in stock}
    out = []
    for row in sold:
        per_day = Decimal(-row["units"]) / days
        available = levels.get((row["sku_id"], row["location_id"]), 0)
        if per_day > 0 and available < per_day * cover_days:
            out.append(
                {
                    "sku_id": row["sku_id"],
                    "location_id": row["location_id"],
                    "available": available,
                    "per_day": per_day.quantize(Decimal("0.01")),
                    "suggested": int((per_day * cover_days - available).to_integral_value()) + 1,
                }
            )
    return sorted(out, key=lambda r: -r["per_day"])


# --- reporting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocationStock:
    """One location's stock now, for reporting: ``on_hand`` units physically there, ``sold`` units that
    left it sold over the last ``days`` (sale movements), and ``stock_outs``, its SKUs with a stock row
    and nothing available (every unit there reserved, or none left)."""

    location_id: int
    on_hand: int
    sold: int
    stock_outs: int


def stock_by_location(*, days: int) -> list[LocationStock]:
    """Every location with a stock row or a sale in the last ``days`` days, by id: two aggregate
    queries, no access check (reporting reads it and checks its own readers)."""
    since = timezone.now() - timedelta(days=days)
    found: dict[int, list[int]] = {}
    for row in Stock.objects.values("location_id").annotate(
        on_hand=Sum("quantity"), outs=Count("pk", filter=Q(quantity__lte=F("reserved")))
    ):
        found[row["location_id"]] = [row["on_hand"], 0, row["outs"]]
    for row in (
        StockMovement.objects.filter(reason=StockMovement.Reason.SALE, created_at__gte=since)
        .values("location_id")
        .annotate(units=Sum("delta"))
    ):
        found.setdefault(row["location_id"], [0, 0, 0])[1] = -row["units"]
    return [LocationStock(pk, *figures) for pk, figures in sorted(found.items())]
