"""Purchase orders from suppliers, and back-orders filled first come, first served as stock arrives."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from operator import attrgetter

from django.db import transaction
from django.db.models import F, Sum

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.idempotency import fingerprint, keyed_create
from millet.inventory.models import (
    Backorder,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)
from millet.inventory.services.reservations import reserve_stock
from millet.inventory.services.stock import OutOfStock, check_quantity, receive_units

# --- purchasing and back-orders ------------------------------------------------------------------


def check_lines(sku_ids: Iterable[int]) -> None:
    """An order or a delivery names each SKU once (422 ``duplicate_line``): a second line for the
    same SKU is a typo to correct, never a quantity to add or to replace the first with."""
    sku_ids = list(sku_ids)
    if len(set(sku_ids)) != len(sku_ids):
        raise Unprocessable("each SKU is named on one line only", code="duplicate_line")


@transaction.atomic
def create_purchase_order(
    *,
    actor: Actor,
    supplier: str,
    location_id: int,
    lines: Iterable[tuple[int, int]],
    expected_on: date | None = None,
    idempotency_key: str | None = None,
) -> PurchaseOrder:
    """Order ``(SKU id, quantity)`` lines from a supplier for delivery to a location (supply planners
    and staff; ``Forbidden`` otherwise). 422 ``empty_order``, ``duplicate_line`` (a SKU on two lines:
    receiving books against one line per SKU, so the other could never be received) or
    ``invalid_quantity``.

    The actor's ``idempotency_key`` makes a retry answer with the purchase order the first request
    made (as it is now), ordering nothing twice; the same key with another request is 409
    ``idempotency_key_reused`` (``core.idempotency.keyed_create``)."""
    actor.require_supply_planner()
    lines = list(lines)
    request = fingerprint(
        "create_purchase_order",
        supplier=supplier,
        location_id=location_id,
        lines=sorted(lines),  # one line per SKU: a set
        expected_on=expected_on,
    )
    return keyed_create(
        actor.user_id,
        idempotency_key,
        request,
        lambda: _order(actor, supplier, location_id, lines, expected_on),
        remember=attrgetter("pk"),
        replay=lambda pk: PurchaseOrder.objects.select_related("supplier", "location").get(pk=pk),
    )


def _order(
    actor: Actor, supplier: str, location_id: int, lines: list[tuple[int, int]], expected_on: date | None
) -> PurchaseOrder:
    """``create_purchase_order``'s work, the actor's role checked."""
    if not lines:
        raise Unprocessable("a purchase order needs lines", code="empty_order")
    check_lines(sku_id for sku_id, _ in lines)
    for _, qty in lines:
        check_quantity(qty)
    supplier_row, _ = Supplier.objects.get_or_create(name=supplier)
    po = PurchaseOrder.objects.create(
        supplier=supplier_row, location_id=location_id, expected_on=expected_on, created_by_id=actor.user_id
    )
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(purchase_order=po, sku_id=sku_id, quantity_ordered=qty) for sku_id, qty in lines
    )
    return po


def receive_purchase_order(
    actor: Actor,
    po_id: int,
    received: dict[int, int],
    *,
    serials: dict[int, list[str]] | None = None,
    serialized_skus: set[int] = frozenset(),
    batch: str = "",
    idempotency_key: str | None = None,
) -> PurchaseOrder:
    """Book what arrived (``{SKU id: quantity}``; a caller reading lines checks them with
    ``check_lines`` first) against the PO (partial deliveries allowed), then fill waiting back-orders.

    Supply planners and staff only (``Forbidden``). The actor's ``idempotency_key`` makes a retry of a
    delivery answer with the purchase order as it is now and book nothing twice (a partial delivery
    of unserialized units sent again would otherwise be counted again, up to the quantity ordered);
    the same key with another delivery is 409 ``idempotency_key_reused`` (``core.idempotency``).
    """
    actor.require_supply_planner()
    request = fingerprint(
        "receive_purchase_order",
        po_id=po_id,
        received=sorted(received.items()),
        serials=sorted((sku_id, sorted(units)) for sku_id, units in (serials or {}).items()),
        batch=batch,
    )
    return keyed_create(
        actor.user_id,
        idempotency_key,
        request,
        lambda: _receive(po_id, received, serials, serialized_skus, batch),
        remember=attrgetter("pk"),
        replay=lambda pk: PurchaseOrder.objects.get(pk=pk),
    )


@transaction.atomic
def _receive(
    po_id: int,
    received: dict[int, int],
    serials: dict[int, list[str]] | None,
    serialized_skus: set[int],
    batch: str,
) -> PurchaseOrder:
    """``receive_purchase_order``'s work, the actor's role checked."""
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
