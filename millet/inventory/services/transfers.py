"""Stock transfers between locations: shipped units are on neither shelf until received."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.idempotency import fingerprint, keyed_create
from millet.inventory.models import (
    Location,
    SerialUnit,
    Stock,
    StockMovement,
    StockTransfer,
)
from millet.inventory.services.locations import require_location, require_stock_role
from millet.inventory.services.purchasing import fill_backorders
from millet.inventory.services.stock import OutOfStock, check_quantity, movement

# A store receives a transfer on one page that carries every scan so far, one form field per unit
# (stores.manager_views): no transfer sends a store more (and a store asks for no more:
# MAX_REQUEST_QUANTITY). A warehouse takes up to MAX_QUANTITY.
MAX_TO_STORE = 500

# --- transfers -----------------------------------------------------------------------------------


@transaction.atomic
def transfer_stock(
    *,
    actor: Actor,
    sku_id: int,
    source_id: int,
    destination_id: int,
    quantity: int,
    serials: Sequence[str] = (),
    idempotency_key: str | None = None,
) -> StockTransfer:
    """Ship units between locations; they are on neither shelf until received. Out of a store
    needs that store's manager (or staff). 422 ``same_location``, ``invalid_quantity`` (into a store:
    at most ``MAX_TO_STORE``); 409
    ``out_of_stock``, ``serials_mismatch``.

    The actor's ``idempotency_key`` makes a retry answer with the transfer the first request made
    (as it is now), shipping nothing again; the same key with another request is 409
    ``idempotency_key_reused`` (``core.idempotency.keyed_create``)."""
    require_location(actor, Location.objects.get(pk=source_id), manager=True)
    request = fingerprint(
        "transfer_stock",
        sku_id=sku_id,
        source_id=source_id,
        destination_id=destination_id,
        quantity=quantity,
        serials=list(serials),  # in the caller's order: an explicit choice of units, not a set
    )
    return keyed_create(
        actor.user_id,
        idempotency_key,
        request,
        lambda: _ship(sku_id, source_id, destination_id, quantity, serials),
        remember=attrgetter("pk"),
        replay=lambda pk: StockTransfer.objects.select_related("source", "destination").get(pk=pk),
    )


def _ship(
    sku_id: int, source_id: int, destination_id: int, quantity: int, serials: Sequence[str]
) -> StockTransfer:
    """``transfer_stock``'s work, the actor's right to ship checked."""
    check_quantity(quantity)
    if source_id == destination_id:
        raise Unprocessable("source and destination are the same", code="same_location")
    if (
        quantity > MAX_TO_STORE
        and Location.objects.filter(pk=destination_id, kind=Location.Kind.STORE).exists()
    ):
        raise Unprocessable(
            f"a store receives at most {MAX_TO_STORE} units in one transfer: send several",
            code="invalid_quantity",
            facts={"most": MAX_TO_STORE},
        )
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
    movement(sku_id, source_id, -quantity, StockMovement.Reason.TRANSFER_OUT, f"TR-{transfer.pk}").save()
    return transfer


def unknown_transfer() -> NotFound:
    """The answer for an id that names no transfer, and for one the caller may not receive."""
    return NotFound("unknown transfer", code="unknown_transfer")


@transaction.atomic
def receive_transfer(actor: Actor, transfer_id: int) -> StockTransfer:
    """Book a transfer's arrival: staff, or the staff of the receiving store."""
    require_stock_role(actor)
    transfer = (
        StockTransfer.objects.select_for_update().select_related("destination").filter(pk=transfer_id).first()
    )
    if transfer is None:
        raise unknown_transfer()
    try:
        require_location(actor, transfer.destination)
    except NotFound:
        raise unknown_transfer() from None
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
    movement(
        transfer.sku_id,
        transfer.destination_id,
        transfer.quantity,
        StockMovement.Reason.TRANSFER_IN,
        f"TR-{transfer.pk}",
    ).save()
    fill_backorders(transfer.sku_id)
    return transfer
