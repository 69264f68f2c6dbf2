"""What the web store tells a shopper about a SKU's stock in a market (the catalog's ``Shelf``):
units free in the market's warehouses, low stock, or the date a back-order ships by.

The store's product pages ask through ``catalog.services.shelves``; inventory registers this reader
when it starts (``InventoryConfig.ready``), as the catalog sits below inventory.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import F, Sum
from django.utils import timezone

from millet.catalog.services import Shelf, sku_info
from millet.inventory.models import Backorder, Location, PurchaseOrder, PurchaseOrderLine, Stock

LOW_STOCK = 5  # at most this many free units online: the page says "low stock"
# A back-order with no purchase order on the way ships after a supplier's usual lead time
# (``Supplier.lead_time_days``' default).
DEFAULT_LEAD_DAYS = 14


def shelves(sku_codes: Iterable[str], market: str) -> dict[str, Shelf]:
    """SKU code -> ``Shelf`` in ``market``: free units (quantity - reserved) summed over the market's
    active warehouses, as ``availability`` counts them. Out of stock, a SKU that accepts back-orders
    ships by the first open purchase order that covers the back-orders already waiting (else today
    plus ``DEFAULT_LEAD_DAYS``); one that does not is sold out. Two queries, three with back-orders.
    Unknown SKU: NotFound ``unknown_sku``."""
    infos = sku_info(sku_codes)
    ids = {info.id: code for code, info in infos.items()}
    free = dict.fromkeys(ids, 0)
    rows = Stock.objects.filter(
        sku_id__in=ids,
        location__market_id=market,
        location__kind=Location.Kind.WAREHOUSE,
        location__is_active=True,
    ).values_list("sku_id", "quantity", "reserved")
    for sku_id, quantity, reserved in rows:
        free[sku_id] += max(quantity - reserved, 0)
    waiting = [i for i, units in free.items() if units == 0 and infos[ids[i]].allow_backorder]
    dates = _ships_by(waiting, market) if waiting else {}
    answer = {}
    for sku_id, code in ids.items():
        units = free[sku_id]
        if units > LOW_STOCK:
            answer[code] = Shelf("in_stock", units)
        elif units > 0:
            answer[code] = Shelf("low", units)
        elif sku_id in dates:
            answer[code] = Shelf("backorder", 0, dates[sku_id])
        else:
            answer[code] = Shelf("sold_out", 0)
    return answer


def _ships_by(sku_ids: list[int], market: str) -> dict[int, date]:
    """For each SKU, the expected date of the first open purchase order line (to the market's
    warehouses) by which more units arrive than its back-orders already waiting there."""
    queued = dict(
        Backorder.objects.filter(sku_id__in=sku_ids, market_id=market, status=Backorder.Status.WAITING)
        .values("sku_id")
        .annotate(units=Sum("quantity"))
        .values_list("sku_id", "units")
    )
    incoming = (
        PurchaseOrderLine.objects.filter(
            sku_id__in=sku_ids,
            purchase_order__status__in=(PurchaseOrder.Status.OPEN, PurchaseOrder.Status.PARTIALLY_RECEIVED),
            purchase_order__location__market_id=market,
            purchase_order__location__kind=Location.Kind.WAREHOUSE,
            purchase_order__expected_on__isnull=False,
            quantity_received__lt=F("quantity_ordered"),
        )
        .order_by("purchase_order__expected_on")
        .values_list("sku_id", "purchase_order__expected_on", "quantity_ordered", "quantity_received")
    )
    today = timezone.localdate()
    dates: dict[int, date] = {}
    arriving = dict.fromkeys(sku_ids, 0)
    for sku_id, expected_on, ordered, received in incoming:
        arriving[sku_id] += ordered - received
        if sku_id not in dates and arriving[sku_id] > queued.get(sku_id, 0):
            dates[sku_id] = max(expected_on, today)
    fallback = today + timedelta(days=DEFAULT_LEAD_DAYS)
    return {sku_id: dates.get(sku_id, fallback) for sku_id in sku_ids}
