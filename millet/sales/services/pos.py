"""Point of sale: a cashier scans units and takes payment; the units leave the store's stock at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from millet.accounts.actor import Actor
from millet.catalog.services import skus_by_id
from millet.core.errors import Unprocessable
from millet.inventory import services as inventory
from millet.regions.services import get_market
from millet.sales.models import Order
from millet.sales.services.fulfilment import fulfil
from millet.sales.services.orders import LineRequest, create_order, get_order, hold_stock, merge_lines
from millet.sales.services.stores import store_facts

# --- point of sale -------------------------------------------------------------------------------


@transaction.atomic
def pos_sale(
    actor: Actor,
    *,
    store_code: str,
    serials: Sequence[str] = (),
    lines: Sequence[LineRequest] = (),
    payment_token: str,
    customer_id: int | None = None,
    voucher_code: str | None = None,
    idempotency_key: str | None = None,
    placed_at: datetime | None = None,
) -> Order:
    """A cashier scans units and takes payment; the units leave this store's stock at once."""
    store = store_facts(store_code)
    actor.require_store(store.id)
    if idempotency_key:
        existing = Order.objects.filter(idempotency_key=idempotency_key, store_id=store.id).first()
        if existing is not None:
            return get_order(actor, existing.number)
    if len(set(serials)) != len(serials):
        raise Unprocessable("a serial was scanned twice", code="duplicate_serial")
    scanned: dict[int, list[str]] = defaultdict(list)  # SKU id -> serials
    for serial in serials:
        scanned[inventory.unit_at(serial, store.location_id).sku_id].append(serial)
    codes = {sku_id: info.code for sku_id, info in skus_by_id(scanned).items()}
    requests = [LineRequest(codes[sku_id], len(found)) for sku_id, found in scanned.items()] + list(lines)
    new = create_order(
        market=store.market,
        currency=get_market(store.market).currency,
        lines=merge_lines(requests),
        channel=Order.Channel.POS,
        store=store,
        customer_id=customer_id,
        staff_id=actor.user_id,
        voucher_code=voucher_code,
        shipping_city="",
        idempotency_key=idempotency_key,
        placed_at=placed_at,
    )
    hold_stock(new, store=store, near=None, ttl_seconds=None, allow_backorder=False, only_store=True)
    fulfil(new.order, new.lines, store_code=store.code, serials_by_sku=scanned, charge_token=payment_token)
    return new.order
