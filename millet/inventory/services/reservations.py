"""Holding units for an order line (allocation), then releasing, confirming or consuming the hold.

Allocation strategy (``reserve_stock``): take from the buyer's chosen store first (click-and-collect,
or the store where a point-of-sale sale happens), then from the market's warehouses nearest to the
buyer's city (great-circle distance), splitting a line across locations when one cannot cover it.
Other stores' shelves are never used to ship web orders: their stock is for walk-in buyers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from millet.core.errors import Conflict, Unprocessable
from millet.inventory.models import (
    Location,
    Reservation,
    SerialUnit,
    Stock,
    StockMovement,
)
from millet.inventory.services.locations import distance_km
from millet.inventory.services.stock import OutOfStock, check_quantity, movement


@dataclass(frozen=True)
class Held:
    """Units held for a reference at one location, and that location's state (ISO 3166-2, "" if unknown)."""

    reservation_id: int
    sku_id: int
    location_id: int
    quantity: int
    state: str


# --- reservations --------------------------------------------------------------------------------


def _candidate_locations(
    sku_id: int,
    market: str,
    *,
    store_location_id: int | None,
    only_store: bool,
    near: tuple[float, float] | None,
) -> list[Stock]:
    """Stock rows in allocation order (see module docstring)."""
    rows = list(
        Stock.objects.filter(sku_id=sku_id, location__market_id=market, location__is_active=True)
        .filter(Q(location__kind=Location.Kind.WAREHOUSE) | Q(location_id=store_location_id))
        .select_related("location")
    )
    store_rows = [r for r in rows if r.location_id == store_location_id]
    if only_store:
        return store_rows
    warehouses = [r for r in rows if r.location_id != store_location_id]
    if near is not None:
        warehouses.sort(
            key=lambda r: distance_km(
                near[0], near[1], float(r.location.latitude), float(r.location.longitude)
            )
        )
    else:
        warehouses.sort(key=lambda r: r.location.code)
    return store_rows + warehouses


def _take(stock_id: int, want: int) -> int:
    """Reserve up to ``want`` units of one stock row; returns how many were taken (0 if none left)."""
    while want > 0:
        if Stock.objects.filter(pk=stock_id, quantity__gte=F("reserved") + want).update(
            reserved=F("reserved") + want
        ):
            return want
        row = Stock.objects.filter(pk=stock_id).values("quantity", "reserved").first()
        free = row["quantity"] - row["reserved"] if row else 0
        if free <= 0:
            return 0
        want = min(want, free)
    return 0


@transaction.atomic(savepoint=False)  # callers that recover from OutOfStock hold their own savepoint
def reserve_stock(
    *,
    sku_id: int,
    quantity: int,
    market: str,
    reference: str,
    store_location_id: int | None = None,
    only_store: bool = False,
    near: tuple[float, float] | None = None,
    ttl_seconds: int | None = None,
) -> list[Held]:
    """Hold ``quantity`` units for ``reference`` or raise OutOfStock having held nothing."""
    check_quantity(quantity)
    expires_at = timezone.now() + timedelta(seconds=ttl_seconds) if ttl_seconds else None
    remaining, held = quantity, []
    for row in _candidate_locations(
        sku_id, market, store_location_id=store_location_id, only_store=only_store, near=near
    ):
        if remaining == 0:
            break
        if row.quantity - row.reserved <= 0:
            continue
        taken = _take(row.pk, min(remaining, row.quantity - row.reserved))
        if taken:
            reservation = Reservation.objects.create(
                stock_id=row.pk, quantity=taken, reference=reference, expires_at=expires_at
            )
            held.append(Held(reservation.pk, sku_id, row.location_id, taken, row.location.state))
            remaining -= taken
    if remaining:
        raise OutOfStock(f"only {quantity - remaining} of {quantity} units available", code="out_of_stock")
    return held


def _active(reference: str):
    return Reservation.objects.filter(reference=reference, status=Reservation.Status.ACTIVE)


@transaction.atomic
def release_reservations(reference: str, *, status: str = Reservation.Status.RELEASED) -> int:
    """Give held units back to the shelf; returns how many units were released."""
    released = 0
    for res in _active(reference).select_for_update():
        Stock.objects.filter(pk=res.stock_id).update(reserved=F("reserved") - res.quantity)
        Reservation.objects.filter(pk=res.pk).update(status=status)
        released += res.quantity
    return released


def confirm_reservations(reference: str) -> None:
    """A paid order keeps its units until it ships: the hold no longer expires."""
    _active(reference).update(expires_at=None)


def held_for(reference: str) -> list[Held]:
    return [
        Held(r.pk, r.stock.sku_id, r.stock.location_id, r.quantity, r.stock.location.state)
        for r in _active(reference).select_related("stock__location")
    ]


@transaction.atomic
def consume_reservations(
    reference: str, *, serials: Sequence[str] = (), serialized: bool = False
) -> list[str]:
    """Ship what is held: units leave the shelf; serialized units get (or check) their serial numbers.

    ``serials`` names the exact units (a cashier's scan); otherwise units are picked from the
    location, skipping rows another picker has locked.
    """
    assigned: list[str] = []
    wanted = list(serials)
    for res in _active(reference).select_for_update().select_related("stock"):
        stock = res.stock
        if serialized:
            if wanted:
                chosen = wanted[: res.quantity]
                wanted = wanted[res.quantity :]
                if len(chosen) != res.quantity:
                    raise Unprocessable("one serial per unit is needed", code="serials_mismatch")
            else:
                chosen = list(
                    SerialUnit.objects.select_for_update(skip_locked=True)
                    .filter(
                        sku_id=stock.sku_id, location_id=stock.location_id, status=SerialUnit.Status.IN_STOCK
                    )
                    .order_by("received_at", "pk")
                    .values_list("serial", flat=True)[: res.quantity]
                )
            sold = SerialUnit.objects.filter(
                serial__in=chosen,
                sku_id=stock.sku_id,
                location_id=stock.location_id,
                status=SerialUnit.Status.IN_STOCK,
            ).update(status=SerialUnit.Status.SOLD, sold_reference=reference)
            if sold != res.quantity or len(chosen) != res.quantity:
                raise Conflict("a scanned serial is not in stock here", code="serial_not_in_stock")
            assigned.extend(chosen)
        Stock.objects.filter(pk=stock.pk).update(
            quantity=F("quantity") - res.quantity, reserved=F("reserved") - res.quantity
        )
        Reservation.objects.filter(pk=res.pk).update(status=Reservation.Status.CONSUMED)
        movement(stock.sku_id, stock.location_id, -res.quantity, StockMovement.Reason.SALE, reference).save()
    if wanted:
        raise Unprocessable("more serials than units", code="serials_mismatch")
    return assigned


@transaction.atomic
def expire_reservations(now=None) -> list[str]:
    """Release holds whose time ran out; returns the references so their owners can react."""
    now = now or timezone.now()
    expired = Reservation.objects.filter(status=Reservation.Status.ACTIVE, expires_at__lte=now)
    references = sorted(set(expired.values_list("reference", flat=True)))
    for reference in references:
        release_reservations(reference, status=Reservation.Status.EXPIRED)
    return references
