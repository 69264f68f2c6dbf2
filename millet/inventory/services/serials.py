"""Serial units: finding a scanned unit on a shelf, and units coming back (a return)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from django.db import transaction
from django.db.models import F

from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.inventory.models import (
    SerialUnit,
    Stock,
    StockMovement,
)
from millet.inventory.services.stock import check_quantity, movement

# --- serial units --------------------------------------------------------------------------------


def unit_at(serial: str, location_id: int, *, skus: Collection[int] | None = None) -> SerialUnit:
    """The unit a scan names, on the shelf at ``location_id`` and (given ``skus``) one of those SKUs.

    Every refusal is precise and changes nothing, checked in this order: NotFound ``unknown_serial``
    (404, no such unit); Conflict ``serial_sold`` (409), ``serial_in_transit`` (409, between two
    locations), ``serial_defective`` (409), ``serial_at_another_location`` (409, in stock elsewhere);
    Unprocessable ``serial_wrong_sku`` (422, a unit of another SKU than the sale names).
    """
    unit = SerialUnit.objects.filter(serial=serial).first()
    if unit is None:
        raise NotFound(f"unknown serial {serial!r}", code="unknown_serial")
    refusals = {
        SerialUnit.Status.SOLD: ("has been sold", "serial_sold"),
        SerialUnit.Status.IN_TRANSIT: ("is in transit between locations", "serial_in_transit"),
        SerialUnit.Status.DEFECTIVE: ("is set aside as defective", "serial_defective"),
    }
    if unit.status in refusals:
        what, code = refusals[unit.status]
        raise Conflict(f"serial {serial} {what}", code=code)
    if unit.location_id != location_id:
        raise Conflict(f"serial {serial} is in stock at another location", code="serial_at_another_location")
    if skus is not None and unit.sku_id not in skus:
        raise Unprocessable(f"serial {serial} is a unit of another SKU", code="serial_wrong_sku")
    return unit


def skus_of_serials(serials: Collection[str]) -> dict[str, int]:
    """The SKU id of each known serial (unknown ones are absent), whatever the unit's status."""
    return dict(SerialUnit.objects.filter(serial__in=list(serials)).values_list("serial", "sku_id"))


def serials_on_shelf(location_id: int, sku_id: int, limit: int) -> list[str]:
    """Up to ``limit`` serials in stock at a location, oldest first: what a cashier finds to scan."""
    return list(
        SerialUnit.objects.filter(sku_id=sku_id, location_id=location_id, status=SerialUnit.Status.IN_STOCK)
        .order_by("received_at", "pk")
        .values_list("serial", flat=True)[:limit]
    )


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
