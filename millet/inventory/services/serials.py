"""Serial units: finding a scanned unit on a shelf, and units coming back (a return)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F

from millet.core.errors import Conflict, NotFound
from millet.inventory.models import (
    SerialUnit,
    Stock,
    StockMovement,
)
from millet.inventory.services.stock import check_quantity, movement

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
    movement(sku_id, location_id, quantity, StockMovement.Reason.RETURN, reference).save()
