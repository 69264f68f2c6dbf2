"""Fulfilment: held units leave the shelf with their serial numbers, and the money is booked (a
capture, or a charge at a till); then ``order_fulfilled`` tells the device cloud who owns which unit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.catalog.services import skus_by_id
from millet.core.errors import Conflict, Unprocessable
from millet.finance import services as finance
from millet.inventory import services as inventory
from millet.sales import events
from millet.sales.models import Order, OrderLine, OrderUnit
from millet.sales.services.orders import get_order, line_reference, sale_facts, tax_by_origin
from millet.sales.services.stores import store_of

MAX_SHIPPING_TEXT = 64  # characters of a carrier's name, and of a tracking number

# --- fulfilment ----------------------------------------------------------------------------------


def fulfil(
    order: Order,
    lines: Sequence[OrderLine],
    *,
    store_code: str | None,
    serials_by_sku: dict[int, list[str]] | None = None,
    charge_token: str | None = None,
    cash_account: str | None = None,
) -> list[str]:
    """Hand the held units over and book the money: capture the authorised payment, or, at a till,
    charge the buyer there and then in one ledger batch (``charge_token``, a card) or take cash
    into the till's drawer (``cash_account``)."""
    serials_by_sku = serials_by_sku or {}
    skus = skus_by_id(line.sku_id for line in lines)
    if order.shipping_state:  # the units leave now, from where they are held: that is the supply
        holds = {line.pk: inventory.held_for(line_reference(order.number, line.pk)) for line in lines}
        tax_by_origin(order, lines, holds, {sku_id: info.tax_class for sku_id, info in skus.items()})
    handed: list[str] = []
    for line in lines:
        reference = line_reference(order.number, line.pk)
        given = serials_by_sku.get(line.sku_id, [])
        serialized = skus[line.sku_id].serialized
        units = inventory.consume_reservations(reference, serials=given, serialized=serialized)
        if serialized and len(units) != line.quantity:
            raise Conflict("not all units of the order are held", code="units_not_held")
        OrderUnit.objects.bulk_create(OrderUnit(line=line, serial=s) for s in units)
        handed.extend(units)
    OrderLine.objects.filter(order=order).update(quantity_fulfilled=F("quantity"))
    facts = sale_facts(order, lines, store_code)
    at_till = charge_token is not None or cash_account is not None
    if at_till:
        finance.book_sale(
            facts, finance.SaleStep.CHARGE, payment_token=charge_token, cash_account=cash_account
        )
    else:
        finance.book_sale(facts, finance.SaleStep.CAPTURE)
    order.status, order.fulfilled_at = Order.Status.FULFILLED, timezone.now()
    if at_till:  # paid at the till, there and then
        order.paid_at = order.fulfilled_at
    Order.objects.filter(pk=order.pk).update(
        status=order.status,
        fulfilled_at=order.fulfilled_at,
        paid_at=order.paid_at,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
    )
    transaction.on_commit(
        lambda: events.order_fulfilled.send(
            sender=Order, order_number=order.number, customer_id=order.customer_id, serials=handed
        )
    )
    return handed


def store_code_of(order: Order) -> str | None:
    """The code of the order's store (selling or pickup), None for the web channel."""
    store = store_of(order.store_id)
    return store.code if store else None


@transaction.atomic
def fulfil_order(actor: Actor, number: str, *, carrier: str = "", tracking_number: str = "") -> Order:
    """Ship a paid web order from the warehouses that hold its stock (staff only), with the carrier
    and its tracking number that the buyer's order page shows (each at most ``MAX_SHIPPING_TEXT``, else
    422 ``carrier_too_long`` / ``tracking_number_too_long``; blank when handed to no carrier).
    Conflicts: ``wrong_channel`` (a store's order), ``already_fulfilled`` (shipped: a second
    click), ``backordered`` (stock still awaited), ``not_fulfillable`` (unpaid or cancelled),
    ``units_not_held`` (its holds no longer cover every unit), and inventory's ``serials_short`` (the
    warehouse's shelf lacks serialized units its stock count promised)."""
    actor.require_staff()
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    for field, value in (("carrier", carrier), ("tracking_number", tracking_number)):
        if len(value) > MAX_SHIPPING_TEXT:
            raise Unprocessable(
                f"{field} is longer than {MAX_SHIPPING_TEXT} characters",
                code=f"{field}_too_long",
                facts={"limit": MAX_SHIPPING_TEXT},
            )
    order = get_order(actor, number, for_update=True)
    if order.channel != Order.Channel.WEB and order.channel != Order.Channel.FLASH:
        raise Conflict("store orders are handed over at the store", code="wrong_channel")
    if order.fulfilled_at is not None:
        raise Conflict("the order is shipped already", code="already_fulfilled")
    if order.status == Order.Status.BACKORDERED:
        refs = [line_reference(order.number, line.pk) for line in order.lines.all()]
        if any(inventory.waiting_backorders(ref) for ref in refs):
            raise Conflict("waiting for stock", code="backordered")
    elif order.status != Order.Status.PAID:
        raise Conflict(f"order is {order.status}", code="not_fulfillable")
    order.carrier, order.tracking_number = carrier, tracking_number
    fulfil(order, list(order.lines.all()), store_code=None)
    order.carrier, order.tracking_number = carrier, tracking_number
    Order.objects.filter(pk=order.pk).update(carrier=carrier, tracking_number=tracking_number)
    return order


@transaction.atomic
def collect_order(actor: Actor, number: str, *, serials: Sequence[str] = ()) -> Order:
    """The buyer picks up a click-and-collect order at the counter, where the cashier scans every
    serialized unit handed over (the scan, not the system, decides which unit the buyer owns).

    Refusals, before anything moves: Conflict ``wrong_channel``, ``already_collected`` (handed
    over: a second click), ``not_collectable`` (unpaid or cancelled); Unprocessable
    ``duplicate_serial``, ``serial_required`` (a serialized line without its scans),
    ``serials_mismatch`` (more or fewer scans than its units), ``serial_wrong_sku`` (a unit of a
    SKU not on the order), and every refusal of ``inventory.unit_at``.
    """
    order = get_order(actor, number, for_update=True)
    if order.channel != Order.Channel.CLICK_COLLECT:
        raise Conflict("not a click-and-collect order", code="wrong_channel")
    actor.require_store(order.store_id)
    if order.fulfilled_at is not None:
        raise Conflict("the order is handed over already", code="already_collected")
    if order.status != Order.Status.READY_FOR_PICKUP:
        raise Conflict(f"order is {order.status}", code="not_collectable")
    store = store_of(order.store_id)
    lines = list(order.lines.all())
    if len(set(serials)) != len(serials):
        raise Unprocessable("a serial was scanned twice", code="duplicate_serial")
    on_order = {line.sku_id for line in lines}
    by_sku: dict[int, list[str]] = defaultdict(list)
    for serial in serials:
        by_sku[inventory.unit_at(serial, store.location_id, skus=on_order).sku_id].append(serial)
    skus = skus_by_id(on_order)
    for line in lines:
        code, scanned = skus[line.sku_id].code, len(by_sku[line.sku_id])
        if skus[line.sku_id].serialized and scanned == 0:
            raise Unprocessable(f"scan each unit of {code} handed over", code="serial_required")
        if skus[line.sku_id].serialized and scanned != line.quantity:
            raise Unprocessable(
                f"{scanned} serials scanned for {line.quantity} units of {code}", code="serials_mismatch"
            )
    fulfil(order, lines, store_code=store.code, serials_by_sku=by_sku)
    return order
