"""Returns and refunds: units back on a shelf (at a warehouse, a store, or scanned at its till),
money back through the ledger, to the cent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from operator import attrgetter

from django.db import transaction
from django.db.models import F, Sum

from millet.accounts.actor import SYSTEM, Actor
from millet.catalog.services import SkuInfo, skus_by_id
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.idempotency import fingerprint, keyed_create
from millet.finance import services as finance
from millet.inventory import services as inventory
from millet.sales import events
from millet.sales.models import Order, OrderLine, OrderUnit, Return, ReturnLine
from millet.sales.pricing import share_of
from millet.sales.services.fulfilment import store_code_of
from millet.sales.services.orders import get_order, sale_facts
from millet.sales.services.stores import StoreFacts, store_facts, till_store
from millet.sales.services.till import cash_account_code, check_takes_sales


@dataclass(frozen=True)
class ReturnRequest:
    line_id: int
    quantity: int
    serials: tuple[str, ...] = ()


RETURNABLE = (Order.Status.FULFILLED, Order.Status.PARTIALLY_RETURNED)


def check_returnable(order: Order) -> None:
    """Refuse taking (or asking to take) ``order``'s units back with why: 409 ``already_returned``
    (every unit is back: a second click on the last return is told so) or ``not_returnable`` (not
    shipped or handed over yet, or cancelled)."""
    if order.status == Order.Status.RETURNED:
        raise Conflict("every unit of the order is back already", code="already_returned")
    if order.status not in RETURNABLE:
        raise Conflict(f"an order that is {order.status} cannot be returned", code="not_returnable")


@dataclass(frozen=True)
class ReturnSummary:
    """One taking-back of an order's units (``Return``): when, how many units, the refund (major
    units of the order's currency)."""

    id: int
    created_at: datetime
    units: int
    refund_amount: Decimal


def order_returns(order: Order) -> list[ReturnSummary]:
    """Every return of ``order`` (an order the caller may see), oldest first: those a return request
    received and those taken back at a till or warehouse without one. One query."""
    found = order.returns.annotate(units=Sum("lines__quantity")).order_by("created_at", "pk")
    return [ReturnSummary(r.pk, r.created_at, r.units or 0, r.refund_amount) for r in found]


def check_returned_serials(line: OrderLine, sku: SkuInfo, quantity: int, serials: list[str]) -> None:
    """Each serialized unit taken back is scanned, and must be a unit sold on this line and not yet
    returned. Refusals, each precise and before anything moves: Unprocessable ``serial_required``
    (no scans for a serialized SKU), ``sku_not_serialized`` (scans for one without serials),
    ``duplicate_serial``, ``serials_mismatch`` (scans do not match the quantity), ``serial_wrong_sku``
    (a unit of another SKU), ``serial_not_on_order`` (a unit this line never sold); NotFound
    ``unknown_serial``; Conflict ``serial_already_returned``. Their facts: the SKU's code (``sku``)
    or the unit's ``serial``, and ``scanned`` and ``quantity`` for a mismatch.
    """
    if not sku.serialized:
        if serials:
            raise Unprocessable(
                f"{sku.code} has no serial numbers to scan",
                code="sku_not_serialized",
                facts={"sku": sku.code},
            )
        return
    if not serials:
        raise Unprocessable(
            f"{sku.code} is serialized: scan each unit taken back",
            code="serial_required",
            facts={"sku": sku.code},
        )
    if len(set(serials)) != len(serials):
        raise Unprocessable("a serial was scanned twice", code="duplicate_serial")
    if len(serials) != quantity:
        raise Unprocessable(
            f"{len(serials)} serials scanned for {quantity} units",
            code="serials_mismatch",
            facts={"sku": sku.code, "scanned": len(serials), "quantity": quantity},
        )
    known = inventory.skus_of_serials(serials)
    units = dict(OrderUnit.objects.filter(line=line, serial__in=serials).values_list("serial", "returned"))
    for serial in serials:
        facts = {"serial": serial}
        if serial not in known:
            raise NotFound(f"unknown serial {serial!r}", code="unknown_serial", facts=facts)
        if known[serial] != line.sku_id:
            raise Unprocessable(
                f"serial {serial} is a unit of another SKU", code="serial_wrong_sku", facts=facts
            )
        if serial not in units:
            raise Unprocessable(
                f"serial {serial} was not sold on this line", code="serial_not_on_order", facts=facts
            )
        if units[serial]:
            raise Conflict(
                f"serial {serial} was already returned", code="serial_already_returned", facts=facts
            )


def merge_return_lines(lines: Sequence[ReturnRequest]) -> list[ReturnRequest]:
    """One request per order line: a line named twice is refunded for all its units, as one step."""
    merged: dict[int, ReturnRequest] = {}
    for req in lines:
        inventory.check_quantity(req.quantity)
        before = merged.get(req.line_id)
        merged[req.line_id] = (
            req
            if before is None
            else ReturnRequest(
                req.line_id, before.quantity + req.quantity, before.serials + tuple(req.serials)
            )
        )
    return list(merged.values())


@transaction.atomic
def return_order(
    actor: Actor,
    number: str,
    *,
    lines: Sequence[ReturnRequest],
    store_code: str | None = None,
    warehouse_code: str | None = None,
    reason: str = "",
    idempotency_key: str | None = None,
) -> Return:
    """Take units back at a store (its staff) or a warehouse (staff) and refund their share of the order.

    The refund goes back to the order's payment; cash goes back in cash, out of the drawer of the
    store taking the units back (not the selling store's: the notes leave this store's drawer, and
    its Z close counts them). That needs the store's till day open and not closed, as a cash sale
    does (``till.check_takes_sales``: 409 ``till_not_open``, ``till_day_closed``), and its drawer
    in the order's currency (409 ``cash_refund_other_currency``); a warehouse has no drawer, so a
    cash order's return there is 409 ``cash_refund_needs_till``. Every refusal changes nothing.

    The actor's ``idempotency_key`` makes a retry answer with the return the first request booked
    (as it is now), refunding nothing twice; the same key with another request is 409
    ``idempotency_key_reused`` (``core.idempotency.keyed_create``).
    """
    store = None
    if store_code:
        store = store_facts(store_code)
        actor.require_store(store.id)
        location_id = store.location_id
    elif warehouse_code:
        actor.require_staff()
        location_id = inventory.get_location(warehouse_code).pk
    else:
        raise Unprocessable(
            "say where the units come back: store_code or warehouse_code", code="location_required"
        )
    request = fingerprint(
        "return_order",
        number=number,
        lines=sorted((req.line_id, req.quantity, sorted(req.serials)) for req in lines),
        store_code=store_code,
        warehouse_code=warehouse_code,
        reason=reason,
    )
    return keyed_create(
        actor.user_id,
        idempotency_key,
        request,
        lambda: _take_back(actor, number, lines, store, location_id, reason),
        remember=attrgetter("pk"),
        replay=lambda pk: Return.objects.select_related("order").get(pk=pk),
    )


def _take_back(
    actor: Actor,
    number: str,
    lines: Sequence[ReturnRequest],
    store: StoreFacts | None,
    location_id: int,
    reason: str,
) -> Return:
    """``return_order``'s work, once the actor may take units back at ``location_id``."""
    # Any store takes back any order shown by its number (the receipt), so look it up unrestricted:
    # the actor was checked against the place the units come back to.
    order = get_order(SYSTEM, number, for_update=True)
    check_returnable(order)
    if not lines:
        raise Unprocessable("a return needs lines", code="empty_return")
    drawer = None
    if order.cash_tendered is not None and store is not None:  # paid in cash: paid back in cash here
        check_takes_sales(store, cash=True)
        drawer = cash_account_code(store)
    lines = merge_return_lines(lines)
    by_id = {line.pk: line for line in order.lines.all()}  # get_order prefetched them
    skus = skus_by_id(line.sku_id for line in by_id.values())
    ret = Return.objects.create(
        order=order,
        reason=reason[:255],
        refund_amount=0,
        location_id=location_id,
        created_by_id=actor.user_id,
    )
    returned_serials: list[str] = []
    done_before: dict[int, int] = {}
    for req in lines:
        line = by_id.get(req.line_id)
        if line is None:
            raise Unprocessable(f"line {req.line_id} is not on this order", code="unknown_line")
        inventory.check_quantity(req.quantity)
        serials = list(req.serials)
        check_returned_serials(line, skus[line.sku_id], req.quantity, serials)
        done_before[line.pk] = line.quantity_returned
        if not OrderLine.objects.filter(
            pk=line.pk, quantity_returned__lte=F("quantity_fulfilled") - req.quantity
        ).update(quantity_returned=F("quantity_returned") + req.quantity):
            raise Conflict("more units returned than were sold", code="over_returned")
        line.quantity_returned += req.quantity
        OrderUnit.objects.filter(line=line, serial__in=serials).update(returned=True)
        inventory.return_units(
            sku_id=line.sku_id,
            location_id=location_id,
            quantity=req.quantity,
            reference=f"{order.number}/R{ret.pk}",
            serials=serials,
        )
        ReturnLine.objects.create(ret=ret, line=line, quantity=req.quantity, serials=serials)
        returned_serials += serials

    counts = {req.line_id: req.quantity for req in lines}

    def share(line: OrderLine, amount: Decimal) -> Decimal:
        return share_of(amount, done_before[line.pk], counts[line.pk], line.quantity, order.currency)

    touched = [by_id[line_id] for line_id in counts]
    facts = sale_facts(order, touched, store_code_of(order), share=share)
    refund = facts.total
    if refund:
        finance.book_sale(
            facts,
            finance.SaleStep.REFUND,
            cash_account=drawer,  # None at a warehouse: finance refuses a cash refund without a drawer
            idempotency_key=f"refund:{order.number}:R{ret.pk}",
        )
    Return.objects.filter(pk=ret.pk).update(refund_amount=refund)
    ret.refund_amount = refund
    all_back = all(line.quantity_returned == line.quantity for line in by_id.values())
    status = Order.Status.RETURNED if all_back else Order.Status.PARTIALLY_RETURNED
    Order.objects.filter(pk=order.pk).update(status=status, refunded=order.refunded + refund)  # row is locked
    order.status = status
    if returned_serials:
        transaction.on_commit(
            lambda: events.units_returned.send(
                sender=Order,
                order_number=order.number,
                customer_id=order.customer_id,
                serials=returned_serials,
            )
        )
    return ret


def return_at_till(
    actor: Actor, store_code: str, number: str, *, serials: Sequence[str], reason: str = ""
) -> Return:
    """Take scanned units of an order (web or till) back at this store and refund them to the
    order's own payment (card, loan, or cash out of this store's drawer), as ``return_order`` does.
    Each serial must be a unit sold on the order (422 ``serial_not_on_order``) and not yet returned
    (409 ``serial_already_returned``, judged by ``return_order`` under the order's lock, so a second
    click on the same units is told they are back already)."""
    till_store(actor, store_code)
    serials = [s.strip() for s in serials if s.strip()]
    if not serials:
        raise Unprocessable("scan the serial of each unit taken back", code="serial_required")
    # The line a unit was sold on never changes, so this lookup needs no lock; whether it is back
    # already is read under the lock.
    lines = dict(
        OrderUnit.objects.filter(line__order__number=number, serial__in=serials).values_list(
            "serial", "line_id"
        )
    )
    for serial in serials:
        if serial not in lines:
            raise Unprocessable(
                f"serial {serial} is not a unit of order {number} to take back", code="serial_not_on_order"
            )
    by_line: dict[int, list[str]] = {}
    for serial in serials:
        by_line.setdefault(lines[serial], []).append(serial)
    return return_order(
        actor,
        number,
        lines=[ReturnRequest(line_id, len(found), tuple(found)) for line_id, found in by_line.items()],
        store_code=store_code,
        reason=reason,
    )
