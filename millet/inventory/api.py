"""HTTP routes for stock, availability, transfers and purchasing; thin over inventory.services.

Who may touch what: anyone may ask whether a SKU is available; store staff see and move only their
own store's stock (transfers out of a store need its manager); warehouses and purchasing are staff-only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated

from ninja import Field, Query, Router, Schema, Status

from millet.accounts.actor import Actor
from millet.catalog.services import sku_info
from millet.core.errors import Forbidden
from millet.inventory import services
from millet.inventory.models import Location
from millet.stores.services import store_for_location

router = Router(tags=["inventory"])

Quantity = Annotated[int, Field(gt=0, le=services.MAX_QUANTITY)]
Code = Annotated[str, Field(min_length=1, max_length=32)]


def _require_stock_role(actor: Actor) -> None:
    """Stock by location is for staff and store staff; anyone else is refused before any code or id
    is looked up, so the refusal is the same whether it names something or not."""
    if not (actor.is_staff or actor.is_store_staff):
        raise Forbidden("staff and store staff only")


def _may_use(actor: Actor, location: Location, *, manager: bool = False) -> bool:
    """Staff use every location; store staff their own store's (raising 403 when a cashier asks for
    what only the store's manager may do: the store is theirs, so nothing is revealed)."""
    if actor.is_staff:
        return True
    store = store_for_location(location.pk)
    if store is None or not actor.can_sell_at(store.pk):
        return False
    actor.require_store(store.pk, manager=manager)
    return True


def _usable_location(actor: Actor, code: str, *, manager: bool = False) -> Location:
    """A location the actor may use; another store's or a warehouse answers as an unknown code."""
    _require_stock_role(actor)
    location = services.get_location(code)
    if not _may_use(actor, location, manager=manager):
        raise services.unknown_location(code)
    return location


def _sku_id(code: str) -> int:
    return sku_info([code])[code].id


class StoreAvailability(Schema):
    store_code: str
    available: int


class AvailabilityOut(Schema):
    sku: str
    market: str
    available_online: int
    stores: list[StoreAvailability]


@router.get("/availability", response=AvailabilityOut, auth=None)
def availability(request, sku: Code, market: Annotated[str, Field(min_length=2, max_length=2)]):
    """Units a shopper can buy online (warehouses) and pick up per store; reserved units excluded."""
    levels = services.stock_levels(sku_ids=[_sku_id(sku)], market=market)
    online = sum(
        max(level.available, 0) for level in levels if level.location_kind == Location.Kind.WAREHOUSE
    )
    stores = [
        StoreAvailability(store_code=level.location_code, available=level.available)
        for level in levels
        if level.location_kind == Location.Kind.STORE and level.available > 0
    ]
    return AvailabilityOut(sku=sku, market=market, available_online=online, stores=stores)


class StockOut(Schema):
    sku_id: int
    location: str
    quantity: int
    reserved: int
    available: int


@router.get("/locations/{code}/stock", response=list[StockOut])
def location_stock(request, code: str):
    """Every SKU's stock at one location: staff, or the staff of that store."""
    location = _usable_location(request.actor, code)
    return [
        StockOut(
            sku_id=s.sku_id,
            location=s.location_code,
            quantity=s.quantity,
            reserved=s.reserved,
            available=s.available,
        )
        for s in services.stock_levels(location_ids=[location.pk])
    ]


class TransferIn(Schema):
    sku: Code
    source: Code
    destination: Code
    quantity: Quantity
    serials: Annotated[list[Code], Field(max_length=1000)] = []


class TransferOut(Schema):
    id: int
    sku_id: int
    source: str
    destination: str
    quantity: int
    status: str
    serials: list[str]


def _transfer_out(t) -> TransferOut:
    return TransferOut(
        id=t.pk,
        sku_id=t.sku_id,
        source=t.source.code,
        destination=t.destination.code,
        quantity=t.quantity,
        status=t.status,
        serials=t.serials,
    )


@router.post("/transfers", response={201: TransferOut})
def create_transfer(request, body: TransferIn):
    """Ship units between locations; out of a store needs that store's manager."""
    source = _usable_location(request.actor, body.source, manager=True)
    destination = services.get_location(body.destination)
    transfer = services.transfer_stock(
        sku_id=_sku_id(body.sku),
        source_id=source.pk,
        destination_id=destination.pk,
        quantity=body.quantity,
        serials=body.serials,
    )
    return Status(201, _transfer_out(transfer))


@router.post("/transfers/{transfer_id}/receive", response=TransferOut)
def receive_transfer(request, transfer_id: int):
    """Book a transfer's arrival: staff, or the staff of the receiving store."""
    _require_stock_role(request.actor)
    if not _may_use(request.actor, services.get_transfer(transfer_id).destination):
        raise services.unknown_transfer()
    transfer = services.receive_transfer(transfer_id)
    return _transfer_out(transfer)


class PoLineIn(Schema):
    sku: Code
    quantity: Quantity


class PurchaseOrderIn(Schema):
    supplier: Annotated[str, Field(min_length=1, max_length=128)]
    location: Code
    lines: Annotated[list[PoLineIn], Field(min_length=1, max_length=200)]
    expected_on: date | None = None


class PurchaseOrderOut(Schema):
    id: int
    supplier: str
    location: str
    status: str
    lines: dict[str, dict[str, int]]


def _po_out(po) -> PurchaseOrderOut:
    lines: dict[str, dict[str, int]] = defaultdict(dict)
    for line in po.lines.select_related("sku"):
        lines[line.sku.code] = {"ordered": line.quantity_ordered, "received": line.quantity_received}
    return PurchaseOrderOut(
        id=po.pk, supplier=po.supplier.name, location=po.location.code, status=po.status, lines=dict(lines)
    )


@router.post("/purchase-orders", response={201: PurchaseOrderOut})
def create_purchase_order(request, body: PurchaseOrderIn):
    request.actor.require_staff()
    location = services.get_location(body.location)
    po = services.create_purchase_order(
        supplier=body.supplier,
        location_id=location.pk,
        lines=[(_sku_id(line.sku), line.quantity) for line in body.lines],
        expected_on=body.expected_on,
        created_by=request.user,
    )
    return Status(201, _po_out(po))


class ReceiveLineIn(Schema):
    sku: Code
    quantity: Quantity
    serials: Annotated[list[Code], Field(max_length=10_000)] = []


class ReceiveIn(Schema):
    lines: Annotated[list[ReceiveLineIn], Field(min_length=1, max_length=200)]
    batch: Annotated[str, Field(max_length=32)] = ""


@router.post("/purchase-orders/{po_id}/receive", response=PurchaseOrderOut)
def receive_purchase_order(request, po_id: int, body: ReceiveIn):
    """Book a delivery; serialized SKUs name each unit; waiting back-orders are filled in order."""
    request.actor.require_staff()
    infos = sku_info([line.sku for line in body.lines])
    po = services.receive_purchase_order(
        po_id,
        {infos[line.sku].id: line.quantity for line in body.lines},
        serials={infos[line.sku].id: line.serials for line in body.lines},
        serialized_skus={info.id for info in infos.values() if info.serialized},
        batch=body.batch,
    )
    return _po_out(po)


@router.get("/replenishment", response=list[dict])
def replenishment(
    request,
    days: Annotated[int, Query(gt=0, le=365)] = 30,
    cover_days: Annotated[int, Query(gt=0, le=365)] = 21,
):
    """SKU/locations running short against their recent sales velocity (staff)."""
    request.actor.require_staff()
    return services.replenishment_suggestions(days=days, cover_days=cover_days)
