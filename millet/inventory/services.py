"""Inventory services: the only code that changes stock.

Every change is a conditional UPDATE (``... WHERE quantity - reserved >= n``) rather than a
read-modify-write, so two buyers racing for the last unit cannot both win on any database, and the
CHECK constraints on ``Stock`` are the last line of defence. Each change to on-hand quantity also
appends a ``StockMovement`` so stock can be audited and rebuilt.

Allocation strategy (``reserve_stock``): take from the buyer's chosen store first (click-and-collect,
or the store where a point-of-sale sale happens), then from the market's warehouses nearest to the
buyer's city (great-circle distance), splitting a line across locations when one cannot cover it.
Other stores' shelves are never used to ship web orders: their stock is for walk-in buyers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.inventory.models import (
    Backorder,
    Location,
    PurchaseOrder,
    PurchaseOrderLine,
    Reservation,
    SerialUnit,
    Stock,
    StockMovement,
    StockTransfer,
    Supplier,
)

MAX_QUANTITY = 10_000  # no single movement is larger; bigger numbers are input errors


class OutOfStock(Conflict):
    code = "out_of_stock"


@dataclass(frozen=True)
class Held:
    """Units held for a reference at one location."""

    reservation_id: int
    sku_id: int
    location_id: int
    quantity: int


def check_quantity(quantity: int) -> None:
    if (
        not isinstance(quantity, int)
        or isinstance(quantity, bool)
        or quantity <= 0
        or quantity > MAX_QUANTITY
    ):
        raise Unprocessable(f"quantity must be an integer from 1 to {MAX_QUANTITY}", code="invalid_quantity")


def create_location(
    *, code: str, name: str, kind: str, market: str, city: str, latitude: Decimal, longitude: Decimal
) -> Location:
    return Location.objects.create(
        code=code, name=name, kind=kind, market_id=market, city=city, latitude=latitude, longitude=longitude
    )


def get_location(code: str) -> Location:
    location = Location.objects.filter(code=code, is_active=True).first()
    if location is None:
        raise unknown_location(code)
    return location


def unknown_location(code: str) -> NotFound:
    """The answer for a code that names no location, and for one the caller may not use."""
    return NotFound(f"unknown location {code!r}", code="unknown_location")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance; good enough to rank warehouses by nearness."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _movement(sku_id: int, location_id: int, delta: int, reason: str, reference: str) -> StockMovement:
    return StockMovement(
        sku_id=sku_id, location_id=location_id, delta=delta, reason=reason, reference=reference
    )


# --- receiving -----------------------------------------------------------------------------------


@transaction.atomic
def receive_units(
    *,
    sku_id: int,
    location_id: int,
    quantity: int,
    reference: str,
    serials: Sequence[str] = (),
    serialized: bool = False,
    batch: str = "",
    reason: str = StockMovement.Reason.RECEIPT,
) -> None:
    """Put new units on hand. Serialized SKUs must name one serial per unit."""
    check_quantity(quantity)
    if serialized and len(serials) != quantity:
        raise Unprocessable("a serialized SKU needs exactly one serial per unit", code="serials_mismatch")
    if serials and len(set(serials)) != len(serials):
        raise Unprocessable("duplicate serial numbers", code="duplicate_serial")
    if serials and SerialUnit.objects.filter(serial__in=serials).exists():
        raise Conflict("a serial number is already known", code="duplicate_serial")
    Stock.objects.get_or_create(sku_id=sku_id, location_id=location_id)
    Stock.objects.filter(sku_id=sku_id, location_id=location_id).update(quantity=F("quantity") + quantity)
    if serials:
        SerialUnit.objects.bulk_create(
            SerialUnit(serial=s, sku_id=sku_id, location_id=location_id, batch=batch) for s in serials
        )
    _movement(sku_id, location_id, quantity, reason, reference).save()


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
            held.append(Held(reservation.pk, sku_id, row.location_id, taken))
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
        Held(r.pk, r.stock.sku_id, r.stock.location_id, r.quantity)
        for r in _active(reference).select_related("stock")
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
        _movement(stock.sku_id, stock.location_id, -res.quantity, StockMovement.Reason.SALE, reference).save()
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


# --- serial units --------------------------------------------------------------------------------


def unit_at(serial: str, location_id: int) -> SerialUnit:
    unit = SerialUnit.objects.filter(serial=serial).first()
    if unit is None:
        raise NotFound(f"unknown serial {serial!r}", code="unknown_serial")
    if unit.location_id != location_id or unit.status != SerialUnit.Status.IN_STOCK:
        raise Conflict(f"serial {serial} is not in stock at this store", code="serial_not_in_stock")
    return unit


@transaction.atomic
def return_units(
    *, sku_id: int, location_id: int, quantity: int, reference: str, serials: Sequence[str] = ()
) -> None:
    """Units come back (a return): on hand again at ``location_id``; sold serials back in stock."""
    check_quantity(quantity)
    if serials:
        back = SerialUnit.objects.filter(
            serial__in=serials, sku_id=sku_id, status=SerialUnit.Status.SOLD
        ).update(status=SerialUnit.Status.IN_STOCK, location_id=location_id, sold_reference="")
        if back != len(serials) or len(serials) != quantity:
            raise Conflict("a returned serial was not sold", code="serial_not_sold")
    Stock.objects.get_or_create(sku_id=sku_id, location_id=location_id)
    Stock.objects.filter(sku_id=sku_id, location_id=location_id).update(quantity=F("quantity") + quantity)
    _movement(sku_id, location_id, quantity, StockMovement.Reason.RETURN, reference).save()


# --- transfers -----------------------------------------------------------------------------------


@transaction.atomic
def transfer_stock(
    *, sku_id: int, source_id: int, destination_id: int, quantity: int, serials: Sequence[str] = ()
) -> StockTransfer:
    """Ship units between locations; they are on neither shelf until received."""
    check_quantity(quantity)
    if source_id == destination_id:
        raise Unprocessable("source and destination are the same", code="same_location")
    if not Stock.objects.filter(
        sku_id=sku_id, location_id=source_id, quantity__gte=F("reserved") + quantity
    ).update(quantity=F("quantity") - quantity):
        raise OutOfStock("not enough unreserved units at the source")
    transfer = StockTransfer.objects.create(
        sku_id=sku_id,
        source_id=source_id,
        destination_id=destination_id,
        quantity=quantity,
        serials=list(serials),
    )
    if serials or SerialUnit.objects.filter(sku_id=sku_id, location_id=source_id).exists():
        chosen = list(serials) or list(
            SerialUnit.objects.select_for_update(skip_locked=True)
            .filter(sku_id=sku_id, location_id=source_id, status=SerialUnit.Status.IN_STOCK)
            .values_list("serial", flat=True)[:quantity]
        )
        moved = SerialUnit.objects.filter(
            serial__in=chosen, sku_id=sku_id, location_id=source_id, status=SerialUnit.Status.IN_STOCK
        ).update(status=SerialUnit.Status.IN_TRANSIT)
        if moved != quantity:
            raise Conflict("serials do not match the units shipped", code="serials_mismatch")
        StockTransfer.objects.filter(pk=transfer.pk).update(serials=chosen)
        transfer.serials = chosen
    _movement(sku_id, source_id, -quantity, StockMovement.Reason.TRANSFER_OUT, f"TR-{transfer.pk}").save()
    return transfer


def get_transfer(transfer_id: int) -> StockTransfer:
    transfer = StockTransfer.objects.select_related("source", "destination").filter(pk=transfer_id).first()
    if transfer is None:
        raise unknown_transfer()
    return transfer


def unknown_transfer() -> NotFound:
    """The answer for an id that names no transfer, and for one the caller may not receive."""
    return NotFound("unknown transfer", code="unknown_transfer")


@transaction.atomic
def receive_transfer(transfer_id: int) -> StockTransfer:
    transfer = StockTransfer.objects.select_for_update().filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFound("unknown transfer")
    if transfer.status != StockTransfer.Status.IN_TRANSIT:
        raise Conflict("transfer already received", code="already_received")
    Stock.objects.get_or_create(sku_id=transfer.sku_id, location_id=transfer.destination_id)
    Stock.objects.filter(sku_id=transfer.sku_id, location_id=transfer.destination_id).update(
        quantity=F("quantity") + transfer.quantity
    )
    SerialUnit.objects.filter(serial__in=transfer.serials).update(
        status=SerialUnit.Status.IN_STOCK, location_id=transfer.destination_id
    )
    transfer.status, transfer.received_at = StockTransfer.Status.RECEIVED, timezone.now()
    transfer.save(update_fields=["status", "received_at"])
    _movement(
        transfer.sku_id,
        transfer.destination_id,
        transfer.quantity,
        StockMovement.Reason.TRANSFER_IN,
        f"TR-{transfer.pk}",
    ).save()
    fill_backorders(transfer.sku_id)
    return transfer


# --- purchasing and back-orders ------------------------------------------------------------------


@transaction.atomic
def create_purchase_order(
    *, supplier: str, location_id: int, lines: Iterable[tuple[int, int]], expected_on=None, created_by=None
) -> PurchaseOrder:
    lines = list(lines)
    if not lines:
        raise Unprocessable("a purchase order needs lines", code="empty_order")
    for _, qty in lines:
        check_quantity(qty)
    supplier_row, _ = Supplier.objects.get_or_create(name=supplier)
    po = PurchaseOrder.objects.create(
        supplier=supplier_row, location_id=location_id, expected_on=expected_on, created_by=created_by
    )
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(purchase_order=po, sku_id=sku_id, quantity_ordered=qty) for sku_id, qty in lines
    )
    return po


@transaction.atomic
def receive_purchase_order(
    po_id: int,
    received: dict[int, int],
    *,
    serials: dict[int, list[str]] | None = None,
    serialized_skus: set[int] = frozenset(),
    batch: str = "",
) -> PurchaseOrder:
    """Book what arrived against the PO (partial deliveries allowed), then fill waiting back-orders."""
    po = PurchaseOrder.objects.select_for_update().filter(pk=po_id).first()
    if po is None:
        raise NotFound("unknown purchase order")
    if po.status in (PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.CANCELLED):
        raise Conflict(f"purchase order is {po.status}", code="po_closed")
    lines = {line.sku_id: line for line in po.lines.all()}
    for sku_id, qty in received.items():
        line = lines.get(sku_id)
        if line is None:
            raise Unprocessable(f"SKU {sku_id} is not on this purchase order", code="not_on_po")
        check_quantity(qty)
        if not PurchaseOrderLine.objects.filter(
            pk=line.pk, quantity_received__lte=F("quantity_ordered") - qty
        ).update(quantity_received=F("quantity_received") + qty):
            raise Conflict("more received than ordered", code="over_received")
        receive_units(
            sku_id=sku_id,
            location_id=po.location_id,
            quantity=qty,
            reference=f"PO-{po.pk}",
            serials=(serials or {}).get(sku_id, ()),
            serialized=sku_id in serialized_skus,
            batch=batch,
        )
    totals = po.lines.aggregate(o=Sum("quantity_ordered"), r=Sum("quantity_received"))
    po.status = (
        PurchaseOrder.Status.RECEIVED
        if totals["r"] == totals["o"]
        else PurchaseOrder.Status.PARTIALLY_RECEIVED
    )
    po.save(update_fields=["status"])
    for sku_id in received:
        fill_backorders(sku_id)
    return po


def add_backorder(*, sku_id: int, market: str, quantity: int, reference: str) -> Backorder:
    check_quantity(quantity)
    return Backorder.objects.create(sku_id=sku_id, market_id=market, quantity=quantity, reference=reference)


@transaction.atomic
def fill_backorders(sku_id: int) -> list[str]:
    """First come, first served: hold stock for waiting back-orders; returns the references filled."""
    filled: list[str] = []
    for bo in (
        Backorder.objects.select_for_update()
        .filter(sku_id=sku_id, status=Backorder.Status.WAITING)
        .order_by("created_at", "pk")
    ):
        try:
            with transaction.atomic():
                held = reserve_stock(
                    sku_id=sku_id, quantity=bo.quantity, market=bo.market_id, reference=bo.reference
                )
        except OutOfStock:
            break  # later back-orders must not jump the queue
        Backorder.objects.filter(pk=bo.pk).update(
            status=Backorder.Status.ALLOCATED, reservation_id=held[0].reservation_id
        )
        filled.append(bo.reference)
    return filled


def cancel_backorders(reference: str) -> None:
    Backorder.objects.filter(reference=reference, status=Backorder.Status.WAITING).update(
        status=Backorder.Status.CANCELLED
    )


def waiting_backorders(reference: str) -> int:
    return Backorder.objects.filter(reference=reference, status=Backorder.Status.WAITING).count()


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


def stock_levels(
    *,
    sku_ids: Iterable[int] | None = None,
    location_ids: Iterable[int] | None = None,
    market: str | None = None,
) -> list[StockLevel]:
    qs = Stock.objects.select_related("location").order_by("sku_id", "location__code")
    if sku_ids is not None:
        qs = qs.filter(sku_id__in=list(sku_ids))
    if location_ids is not None:
        qs = qs.filter(location_id__in=list(location_ids))
    if market:
        qs = qs.filter(location__market_id=market)
    return [StockLevel(s.sku_id, s.location.code, s.location.kind, s.quantity, s.reserved) for s in qs]


def replenishment_suggestions(*, days: int = 30, cover_days: int = 21) -> list[dict]:
    """SKU/locations whose stock covers fewer than ``cover_days`` of their recent sales velocity."""
    since = timezone.now() - timedelta(days=days)
    sold = (
        StockMovement.objects.filter(reason=StockMovement.Reason.SALE, created_at__gte=since)
        .values("sku_id", "location_id")
        .annotate(units=Sum("delta"))
    )
    levels = {(s.sku_id, s.location_id): s.quantity - s.reserved for s in Stock.objects.all()}
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
