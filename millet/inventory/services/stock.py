"""Stock on hand: the quantity rule every change obeys, receiving new units, and the movement journal.

Every change is a conditional UPDATE (``... WHERE quantity - reserved >= n``) rather than a
read-modify-write, so two buyers racing for the last unit cannot both win on any database, and the
CHECK constraints on ``Stock`` are the last line of defence. Each change to on-hand quantity also
appends a ``StockMovement`` so stock can be audited and rebuilt. On PostgreSQL the movements are
partitioned by month on ``created_at`` (``MOVEMENT_PARTITIONS``), so a read over a period (sales
since a day) scans only that period's partitions.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F

from millet.core.errors import Conflict, Unprocessable
from millet.core.integrity import taken_or_raise
from millet.core.partitions import RangePartitioned
from millet.inventory.models import (
    SerialUnit,
    Stock,
    StockMovement,
)

# This month and the next two, kept by core.partitions.ensure_all (registered in InventoryConfig.ready).
MOVEMENT_PARTITIONS = RangePartitioned("inventory_stockmovement", "created_at", "month", ahead=2)
MAX_QUANTITY = 10_000  # no line, receipt, transfer or count moves more; bigger numbers are input errors
# The most one hold keeps: a flash sale sets its whole stock aside as one hold, a Singles-Day
# campaign 100,000 units or more (flashsale.MAX_UNITS is this figure).
MAX_HOLD = 1_000_000


class OutOfStock(Conflict):
    code = "out_of_stock"


def check_quantity(quantity: int, most: int = MAX_QUANTITY) -> None:
    """422 ``invalid_quantity`` unless ``quantity`` is an integer from 1 to ``most``."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0 or quantity > most:
        raise Unprocessable(
            f"quantity must be an integer from 1 to {most}", code="invalid_quantity", facts={"most": most}
        )


def movement(sku_id: int, location_id: int, delta: int, reason: str, reference: str) -> StockMovement:
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
    """Put new units on hand. Serialized SKUs must name one serial per unit; others none (422
    ``serials_not_expected``: a few serial units among them would leave the rest unmovable, as a
    transfer ships a SKU's serial units once it has any); 422 or 409 ``duplicate_serial``."""
    check_quantity(quantity)
    if serials and not serialized:
        raise Unprocessable("this SKU has no serial numbers", code="serials_not_expected")
    if serialized and len(serials) != quantity:
        raise Unprocessable("a serialized SKU needs exactly one serial per unit", code="serials_mismatch")
    if serials and len(set(serials)) != len(serials):
        raise Unprocessable("duplicate serial numbers", code="duplicate_serial")
    known = Conflict("a serial number is already known", code="duplicate_serial")
    if serials:  # first: a delivery of another PO booked at once may carry the same serial (unique)
        with taken_or_raise(SerialUnit.objects.filter(serial__in=serials), known):
            SerialUnit.objects.bulk_create(
                SerialUnit(serial=s, sku_id=sku_id, location_id=location_id, batch=batch) for s in serials
            )
    Stock.objects.get_or_create(sku_id=sku_id, location_id=location_id)
    Stock.objects.filter(sku_id=sku_id, location_id=location_id).update(quantity=F("quantity") + quantity)
    movement(sku_id, location_id, quantity, reason, reference).save()
