"""FLASH-channel orders: the durable orders behind a flash sale's gate.

A campaign sets its units aside as one inventory hold (``hold_reference``). Each claim the gate
accepted becomes an ordinary order whose single unit is moved out of that hold into the order
line's own hold, in one transaction, so inventory always shows exactly the campaign's unclaimed
units plus each open order's unit as reserved. An unpaid order that runs out of time moves its unit
back into the campaign's hold. Payment and fulfilment are the ordinary ``pay_order`` and
``fulfil_order``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from millet.accounts.actor import Actor
from millet.catalog.services import sku_info
from millet.core.errors import Conflict, Unprocessable
from millet.core.numbers import document_number
from millet.inventory import services as inventory
from millet.regions.money import quantize
from millet.regions.services import get_market
from millet.sales.models import Order, OrderKey, OrderLine
from millet.sales.pricing import LineInput, price_order
from millet.sales.services.cancelling import cancel_order
from millet.sales.services.orders import line_reference


@dataclass(frozen=True)
class FlashClaim:
    """One unit a gate gave a customer; ``key`` is unique per claim and makes the write idempotent."""

    key: str
    customer_id: int
    claimed_at: datetime


@dataclass(frozen=True)
class FlashOffer:
    """What a campaign sells: one SKU at one price from one location's set-aside units."""

    market: str
    sku_code: str
    unit_price: Decimal
    location_id: int
    hold_reference: str


def _hold_from_campaign(offer: FlashOffer, sku_id: int, reference: str) -> None:
    inventory.reserve_stock(
        sku_id=sku_id,
        quantity=1,
        market=offer.market,
        reference=reference,
        store_location_id=offer.location_id,
        only_store=True,
    )


@transaction.atomic
def set_aside_units(actor: Actor, offer: FlashOffer, units: int) -> None:
    """Hold ``units`` at the campaign's location for the sale, or raise OutOfStock having held none
    (merchandisers and staff; ``Forbidden`` otherwise)."""
    actor.require_merchandiser()
    info = sku_info([offer.sku_code])[offer.sku_code]
    inventory.reserve_stock(
        sku_id=info.id,
        quantity=units,
        market=offer.market,
        reference=offer.hold_reference,
        store_location_id=offer.location_id,
        only_store=True,
    )


@transaction.atomic
def place_flash_orders(
    actor: Actor, offer: FlashOffer, claims: Sequence[FlashClaim]
) -> dict[str, str | None]:
    """Write one FLASH order per claim, each taking its unit from the campaign's hold.

    Returns claim key -> order number, or None for a claim the hold could not cover (the gate gave
    out more than was set aside, e.g. after losing its state): such a claim gets no order, so the
    shop never sells a unit it does not hold. Replayed keys return the order already written.
    """
    actor.require_staff()
    if not claims:
        return {}
    keys = [c.key for c in claims]
    if len(set(keys)) != len(keys):
        raise Unprocessable("a claim appears twice in the batch", code="duplicate_claim")
    done = dict(OrderKey.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", "number"))
    fresh = [c for c in claims if c.key not in done]
    if not fresh:
        return {c.key: done[c.key] for c in claims}
    info = sku_info([offer.sku_code])[offer.sku_code]
    currency = get_market(offer.market).currency
    price = quantize(offer.unit_price, currency)
    priced = price_order(
        offer.market, currency, [LineInput(offer.sku_code, 1, price, info.tax_class)], Decimal(0)
    )
    line = priced.lines[0]
    held = inventory.release_reservations(offer.hold_reference)  # re-held below, same transaction
    covered, uncovered = fresh[:held], fresh[held:]
    numbers = [document_number(offer.market, "F") for _ in covered]
    # The keys first (OrderKey holds the uniqueness the partitioned order table cannot): a claim
    # written by a concurrent writer since ``done`` was read is an IntegrityError, the batch rolls back.
    OrderKey.objects.bulk_create(
        OrderKey(number=number, idempotency_key=c.key) for number, c in zip(numbers, covered, strict=True)
    )
    orders = Order.objects.bulk_create(
        Order(
            number=number,
            channel=Order.Channel.FLASH,
            customer_id=c.customer_id,
            market_id=offer.market,
            currency=currency,
            subtotal=priced.subtotal,
            discount=priced.discount,
            tax=priced.tax,
            total=priced.total,
            refunded=quantize(Decimal(0), currency),
            idempotency_key=c.key,
            created_at=c.claimed_at,
        )
        for number, c in zip(numbers, covered, strict=True)
    )
    if orders and not all(o.pk for o in orders):  # SQLite before 3.35 returns no ids
        by_number = dict(
            Order.objects.filter(number__in=[o.number for o in orders]).values_list("number", "pk")
        )
        for order in orders:
            order.pk = order.id = by_number[order.number]
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            sku_id=info.id,
            quantity=1,
            unit_price=line.unit_price,
            discount=line.discount,
            tax=line.tax,
            tax_components={k: str(v) for k, v in line.tax_components.items()},
            tax_rates={k: str(v) for k, v in line.tax_rates.items()},
            total=line.total,
        )
        for order in orders
    )
    if lines and not all(x.pk for x in lines):
        lines = list(OrderLine.objects.filter(order__in=orders).order_by("pk"))
    line_of = {x.order_id: x for x in lines}
    for order in orders:
        _hold_from_campaign(offer, info.id, line_reference(order.number, line_of[order.pk].pk))
    if held > len(covered):
        inventory.reserve_stock(
            sku_id=info.id,
            quantity=held - len(covered),
            market=offer.market,
            reference=offer.hold_reference,
            store_location_id=offer.location_id,
            only_store=True,
        )
    out = {c.key: done.get(c.key) for c in claims}
    out.update({c.key: o.number for c, o in zip(covered, orders, strict=True)})
    out.update({c.key: None for c in uncovered})
    return out


@transaction.atomic
def expire_flash_order(actor: Actor, number: str, offer: FlashOffer) -> tuple[str, bool]:
    """End an unpaid FLASH order's payment window: cancel it and move its unit back to the campaign.

    Returns (the order's status afterwards, whether a unit went back into the campaign's hold). A
    paid order is left alone. An order the buyer cancelled already put its unit on the shelf; it goes
    back to the campaign if it is still there.
    """
    actor.require_staff()
    order = Order.objects.select_for_update().filter(number=number).first()
    if order is None or order.channel != Order.Channel.FLASH:
        raise Conflict(f"{number} is not a flash order", code="not_flash_order")
    if order.status not in (Order.Status.PLACED, Order.Status.CANCELLED):
        return order.status, False
    if order.status == Order.Status.PLACED:
        cancel_order(actor, number)
    sku_id = sku_info([offer.sku_code])[offer.sku_code].id
    try:
        with transaction.atomic():
            inventory.reserve_stock(
                sku_id=sku_id,
                quantity=1,
                market=offer.market,
                reference=offer.hold_reference,
                store_location_id=offer.location_id,
                only_store=True,
            )
    except inventory.OutOfStock:
        return Order.Status.CANCELLED, False
    return Order.Status.CANCELLED, True


def flash_order_statuses(numbers: Sequence[str]) -> dict[str, str]:
    """Order number -> status, for campaign results and claim polling."""
    return dict(Order.objects.filter(number__in=list(numbers)).values_list("number", "status"))


@transaction.atomic
def release_campaign_units(actor: Actor, offer: FlashOffer) -> int:
    """After the sale: the units nobody bought go back on the shelf; returns how many."""
    actor.require_staff()
    return inventory.release_reservations(offer.hold_reference)
