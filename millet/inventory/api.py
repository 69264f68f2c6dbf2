"""HTTP routes for stock, availability, transfers and purchasing; thin over inventory.services.

Who may touch what: anyone may ask whether a SKU is available; store staff see and move only their
own store's stock (transfers out of a store need its manager); warehouses and purchasing are staff-only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from ninja import Field, Query, Router, Status

from millet.catalog.services import sku_info, skus_by_id
from millet.core.types import IdempotencyKey
from millet.inventory import services
from millet.inventory.schemas import (
    Code,
    PurchaseOrderIn,
    PurchaseOrderOut,
    ReceiveIn,
    StockOut,
    StockTransferIn,
    StockTransferOut,
)

router = Router(tags=["inventory"])


def _sku_id(code: str) -> int:
    return sku_info([code])[code].id


@router.get("/availability", response=services.Availability, auth=None)
def availability(request, sku: Code, market: Annotated[str, Field(min_length=2, max_length=2)]):
    """Units a shopper can buy online (warehouses) and pick up per store; reserved units excluded."""
    return services.availability(sku, market)


@router.get("/locations/{code}/stock", response=list[StockOut])
def location_stock(request, code: str):
    """Every SKU's stock at one location: staff, or the staff of that store."""
    return [
        StockOut(
            sku_id=s.sku_id,
            location=s.location_code,
            quantity=s.quantity,
            reserved=s.reserved,
            available=s.available,
        )
        for s in services.location_stock(request.actor, code)
    ]


def _transfer_out(t) -> StockTransferOut:
    return StockTransferOut(
        id=t.pk,
        sku_id=t.sku_id,
        source=t.source.code,
        destination=t.destination.code,
        quantity=t.quantity,
        status=t.status,
        serials=t.serials,
    )


@router.post("/transfers", response={201: StockTransferOut})
def create_transfer(request, body: StockTransferIn, idempotency_key: IdempotencyKey = None):
    """Ship units between locations; out of a store needs that store's manager. A resend with the
    same ``Idempotency-Key`` answers with the first transfer and ships nothing again; the key with
    another request is 409 ``idempotency_key_reused``."""
    source = services.usable_location(request.actor, body.source, manager=True)
    destination = services.get_location(body.destination)
    transfer = services.transfer_stock(
        actor=request.actor,
        sku_id=_sku_id(body.sku),
        source_id=source.pk,
        destination_id=destination.pk,
        quantity=body.quantity,
        serials=body.serials,
        idempotency_key=idempotency_key,
    )
    return Status(201, _transfer_out(transfer))


@router.post("/transfers/{transfer_id}/receive", response=StockTransferOut)
def receive_transfer(request, transfer_id: int):
    """Book a transfer's arrival: staff, or the staff of the receiving store."""
    return _transfer_out(services.receive_transfer(request.actor, transfer_id))


def _po_out(po) -> PurchaseOrderOut:
    po_lines = list(po.lines.all())
    codes = {sku_id: info.code for sku_id, info in skus_by_id(line.sku_id for line in po_lines).items()}
    lines: dict[str, dict[str, int]] = defaultdict(dict)
    for line in po_lines:
        lines[codes[line.sku_id]] = {"ordered": line.quantity_ordered, "received": line.quantity_received}
    return PurchaseOrderOut(
        id=po.pk, supplier=po.supplier.name, location=po.location.code, status=po.status, lines=dict(lines)
    )


@router.post("/purchase-orders", response={201: PurchaseOrderOut})
def create_purchase_order(request, body: PurchaseOrderIn, idempotency_key: IdempotencyKey = None):
    """Order units from a supplier for a location (supply planners and staff). A resend with the
    same ``Idempotency-Key`` answers with the first purchase order and orders nothing twice; the key
    with another request is 409 ``idempotency_key_reused``."""
    location = services.get_location(body.location)
    po = services.create_purchase_order(
        actor=request.actor,
        supplier=body.supplier,
        location_id=location.pk,
        lines=[(_sku_id(line.sku), line.quantity) for line in body.lines],
        expected_on=body.expected_on,
        idempotency_key=idempotency_key,
    )
    return Status(201, _po_out(po))


@router.post("/purchase-orders/{po_id}/receive", response=PurchaseOrderOut)
def receive_purchase_order(request, po_id: int, body: ReceiveIn, idempotency_key: IdempotencyKey = None):
    """Book a delivery; serialized SKUs name each unit; waiting back-orders are filled in order. A
    resend with the same ``Idempotency-Key`` answers with the purchase order and books nothing twice;
    the key with another delivery is 409 ``idempotency_key_reused``."""
    infos = sku_info([line.sku for line in body.lines])
    services.check_lines(infos[line.sku].id for line in body.lines)  # the lines become a map by SKU
    po = services.receive_purchase_order(
        request.actor,
        po_id,
        {infos[line.sku].id: line.quantity for line in body.lines},
        serials={infos[line.sku].id: line.serials for line in body.lines},
        serialized_skus={info.id for info in infos.values() if info.serialized},
        batch=body.batch,
        idempotency_key=idempotency_key,
    )
    return _po_out(po)


@router.get("/replenishment", response=list[dict])
def replenishment(
    request,
    days: Annotated[int, Query(gt=0, le=365)] = 30,
    cover_days: Annotated[int, Query(gt=0, le=365)] = 21,
):
    """SKU/locations running short against their recent sales velocity (staff)."""
    return services.replenishment_suggestions(request.actor, days=days, cover_days=cover_days)
