"""Placing, paying and reading orders, for every channel (fulfilment, the till and cancelling sit beside).

An order's life: placed (stock held, with an expiry if unpaid) -> paid (payment authorised, the hold
no longer expires) -> fulfilled (units leave the shelf with their serial numbers, the payment is
captured and the ledger books revenue per store or channel and tax payable per tax component).
Point-of-sale orders run the whole life in one call; click-and-collect orders wait as
ready_for_pickup until the store hands them over.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Subquery
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.catalog.services import SkuInfo, sku_offers, skus_by_id
from millet.core import sql
from millet.core.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from millet.core.idempotency import check_same_request, fingerprint
from millet.core.numbers import NUMBER_DRAWS, document_number
from millet.core.partitions import RangePartitioned
from millet.finance import services as finance
from millet.finance.services import SaleFacts, SoldLine
from millet.inventory import services as inventory
from millet.regions.money import quantize
from millet.regions.services import check_state, get_market, is_inter_state
from millet.sales.models import Order, OrderKey, OrderLine, OrderUnit
from millet.sales.pricing import LineInput, line_tax, price_order
from millet.sales.services.shipping import NO_SHIPPING, shipping_charge
from millet.sales.services.stores import store_facts, till_store
from millet.sales.services.vouchers import find_voucher, redeem_voucher, voucher_discount

MAX_LINES = 50
# On PostgreSQL, orders are partitioned by month on created_at: this month and the next two are kept
# ready by core.partitions.ensure_all (registered in SalesConfig.ready).
ORDER_PARTITIONS = RangePartitioned(Order._meta.db_table, "created_at", "month", ahead=2)

OPEN_STATUSES = (
    Order.Status.PLACED,
    Order.Status.PAID,
    Order.Status.BACKORDERED,
    Order.Status.READY_FOR_PICKUP,
)


@dataclass(frozen=True)
class ShippingAddress:
    """Where a web order is delivered, as the buyer typed it at checkout (``accounts.postal``'s
    rules already checked); ``state`` is ISO 3166-2 ("IN-MH"), India's place of supply, and
    ``region`` the province or state as written where the market needs no ISO code."""

    recipient: str
    phone: str
    line1: str
    city: str
    postal_code: str
    line2: str = ""
    state: str = ""
    region: str = ""


@dataclass(frozen=True)
class LineRequest:
    """A line asked for: ``quantity`` units of a SKU; at a till, ``serials`` names the scanned units."""

    sku_code: str
    quantity: int
    serials: tuple[str, ...] = ()


def line_reference(order_number: str, line_id: int) -> str:
    """How inventory reservations and serial units name the order line that holds them."""
    return f"{order_number}/{line_id}"


def pickup_code() -> str:
    """Six random digits a click-and-collect buyer shows at the counter (read aloud, typed at a till)."""
    return f"{secrets.randbelow(10**6):06d}"


def merge_lines(lines: Sequence[LineRequest]) -> list[LineRequest]:
    if not lines:
        raise Unprocessable("an order needs at least one line", code="empty_order")
    if len(lines) > MAX_LINES:
        raise Unprocessable(f"at most {MAX_LINES} lines per order", code="too_many_lines")
    merged: dict[str, int] = defaultdict(int)
    serials: dict[str, tuple[str, ...]] = defaultdict(tuple)
    for line in lines:
        inventory.check_quantity(line.quantity)
        merged[line.sku_code] += line.quantity
        serials[line.sku_code] += tuple(line.serials)
    for quantity in merged.values():  # one SKU's lines together: no more than one line may ask
        inventory.check_quantity(quantity)
    return [LineRequest(code, qty, serials[code]) for code, qty in merged.items()]


def sale_facts(order: Order, lines: Sequence[OrderLine], store_code: str | None, *, share=None) -> SaleFacts:
    """What finance needs to book an order's money: each line's gross total and its tax by component.

    ``share(line, amount)`` scales each line's figures (returns refund a share, never the shipping
    fee); without it, the whole order, its shipping fee a line of its own.
    """
    sold = [
        SoldLine(
            total=share(line, line.total) if share else line.total,
            tax={k: share(line, Decimal(v)) if share else Decimal(v) for k, v in line.tax_components.items()},
        )
        for line in lines
    ]
    if share is None and order.shipping_fee:  # the whole sale carries its delivery; a return does not
        tax = {k: Decimal(v) for k, v in order.shipping_tax_components.items()}
        sold.append(SoldLine(total=Decimal(order.shipping_fee), tax=tax))
    return SaleFacts(
        reference=order.number,
        market=order.market_id,
        currency=order.currency,
        store_code=store_code,
        lines=sold,
    )


# --- reading -------------------------------------------------------------------------------------


def _visible_orders(actor: Actor):
    qs = Order.objects.all()
    if actor.is_staff:
        return qs
    if actor.store_roles:
        return qs.filter(store_id__in=list(actor.store_roles)) | qs.filter(customer_id=actor.user_id)
    return qs.filter(customer_id=actor.user_id)


def get_order(actor: Actor, number: str, *, for_update: bool = False) -> Order:
    """The order if the actor may see it; 404 (not 403) otherwise, so numbers cannot be probed."""
    return _one_order(_visible_orders(actor), number, for_update=for_update)


def get_own_order(actor: Actor, number: str) -> Order:
    """The order if the actor bought it: what only its buyer does (the receipt, paying it on credit,
    protecting its units, asking to return it). Anyone else's order is NotFound ``unknown_order``,
    even to staff and its store's sellers, who see it through ``get_order``."""
    if actor.user_id is None:
        raise NotFound(f"no order {number}", code="unknown_order")
    return _one_order(Order.objects.filter(customer_id=actor.user_id), number, for_update=False)


def _one_order(visible, number: str, *, for_update: bool) -> Order:
    qs = visible.filter(number=number)
    if for_update:
        qs = Order.objects.select_for_update().filter(pk__in=qs.values("pk"))
    order = qs.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))).first()
    if order is None:
        raise NotFound(f"no order {number}", code="unknown_order")
    return order


def list_orders(
    actor: Actor,
    *,
    store_code: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Order]:
    qs = _visible_orders(actor)
    if store_code:  # another store's orders: 404, as for a store that does not exist
        qs = qs.filter(store_id=till_store(actor, store_code).id)
    if status:
        qs = qs.filter(status=status)
    return list(qs.prefetch_related("lines").order_by("-created_at", "-pk")[offset : offset + limit])


@dataclass(frozen=True)
class SoldUnit:
    """A unit still in its buyer's hands, with the facts of the order that sold it."""

    serial: str
    sku_id: int
    order_number: str
    customer_id: int | None
    order_status: str
    market: str
    ordered_at: datetime


def sold_units(actor: Actor, order_number: str, *, serial: str | None = None) -> list[SoldUnit]:
    """The units sold on an order the actor may see (``get_order``'s rule, so a customer finds only
    their own and a cashier only their store's) and not returned, optionally just ``serial``."""
    order = get_order(actor, order_number)
    units = OrderUnit.objects.filter(line__order=order, returned=False).order_by("pk")
    if serial is not None:
        units = units.filter(serial=serial)
    return [
        SoldUnit(
            serial, sku_id, order.number, order.customer_id, order.status, order.market_id, order.created_at
        )
        for serial, sku_id in units.values_list("serial", "line__sku_id")
    ]


def sold_unit(actor: Actor, order_number: str, serial: str) -> SoldUnit:
    """``serial`` as sold on that order and still in the buyer's hands; 404 otherwise."""
    found = sold_units(actor, order_number, serial=serial)
    if not found:
        raise NotFound(f"{serial} is not a unit sold on order {order_number}", code="unknown_unit")
    return found[0]


# --- placing -------------------------------------------------------------------------------------


def check_expected_total(order: Order, expected: Decimal | None) -> None:
    """Refuse an order just priced (not yet holding stock or money) whose total is not the
    ``expected`` one the buyer was shown: Conflict ``price_changed``, facts ``total`` (now) and
    ``expected``, both in the order's currency. None expects nothing (the API's callers may omit it).
    What the buyer is shown is what the buyer pays (EU Directive 2011/83/EU art. 6(1)(e), 22)."""
    if expected is not None and order.total != expected:
        raise Conflict(
            f"the order totals {order.total} {order.currency} now, not the {expected} expected",
            code="price_changed",
            facts={"total": order.total, "expected": expected},
        )


def place_order(actor: Actor, **params: Any) -> Order:
    """``place_order_with_lines`` for the callers that need only the order (its keywords, rules and
    refusals)."""
    return place_order_with_lines(actor, **params).order


@transaction.atomic
def place_order_with_lines(
    actor: Actor,
    *,
    market: str,
    lines: Sequence[LineRequest],
    channel: str = Order.Channel.WEB,
    store_code: str | None = None,
    voucher_code: str | None = None,
    shipping_city: str = "",
    shipping_state: str = "",
    address: ShippingAddress | None = None,
    shipping_method: str = "",
    near: tuple[float, float] | None = None,
    payment_token: str | None = None,
    idempotency_key: str | None = None,
    customer_id: int | None = None,
    placed_at: datetime | None = None,
    expected_total: Decimal | None = None,
) -> NewOrder:
    """Price the lines, hold stock, and (given a payment token) authorise payment: all or nothing.
    Returns the order with its lines as written and their SKUs' facts, so the API answers without
    reading them back.

    Web and click-and-collect orders belong to the actor. Replaying an idempotency key returns the
    order the first request created and changes nothing. ``placed_at`` backdates imported history.
    ``shipping_state`` (ISO 3166-2, e.g. "IN-MH"; 422 ``unknown_state`` otherwise) is where a web
    order is delivered, its place of supply: units shipped from a warehouse in another state carry
    IGST (see ``tax_by_origin``). A click-and-collect order's place of supply is its store.
    ``address`` (web orders) gives the whole delivery address, its city and state replacing
    ``shipping_city`` and ``shipping_state``; ``shipping_method`` (a code of ``shipping_methods``,
    422 ``unknown_shipping_method``) adds its fee to the total. The card is authorised for the total.

    ``expected_total`` is the total the buyer was shown (goods and shipping, in the market's
    currency): priced now to anything else (a price edited, a promotion or voucher ended since the
    page was made), the order is refused with 409 ``price_changed`` before any stock is held or card
    asked, and nothing is written; the buyer sees the new total and decides again. A replay of an
    idempotency key answers with its order whatever it expects: that order was placed at the total
    its first request accepted.
    """
    if channel not in (
        Order.Channel.WEB,
        Order.Channel.CLICK_COLLECT,
        Order.Channel.POS,
        Order.Channel.FLASH,
    ):
        raise Unprocessable(f"unknown channel {channel!r}", code="unknown_channel")
    if channel == Order.Channel.POS:
        raise Unprocessable("point-of-sale orders go through pos_sale", code="wrong_channel")
    if actor.user_id is None:
        raise Forbidden("sign in to order")
    customer_id = actor.user_id if customer_id is None or not actor.is_staff else customer_id
    lines = merge_lines(lines)
    # What a replay of the key must match (the model keeps it for keyed requests); without a key
    # nothing can replay the order, and most checkouts send none.
    request = (
        order_request(
            market=market,
            lines=lines,
            channel=channel,
            store_code=store_code,
            voucher_code=voucher_code,
            shipping_city=shipping_city,
            shipping_state=shipping_state,
            address=address,
            shipping_method=shipping_method,
            near=near,
            payment_token=payment_token,
            customer_id=customer_id,
        )
        if idempotency_key
        else ""
    )
    replayed = replay_order(actor, idempotency_key, request)
    if replayed is not None:
        return _as_new(replayed)
    info = get_market(market)
    if address is not None:
        shipping_city, shipping_state = address.city, address.state
    shipping_state = check_state(market, shipping_state)
    store = None
    if channel == Order.Channel.CLICK_COLLECT:
        if not store_code:
            raise Unprocessable("click-and-collect needs a pickup store", code="store_required")
        store = store_facts(store_code)
        if store.market != market:
            raise Unprocessable("the pickup store is in another market", code="store_wrong_market")
    try:
        new = create_order(
            market=market,
            currency=info.currency,
            lines=lines,
            channel=channel,
            store=store,
            customer_id=customer_id,
            staff_id=None,
            voucher_code=voucher_code,
            shipping_city=shipping_city,
            shipping_state=shipping_state if channel == Order.Channel.WEB else "",
            address=address if channel == Order.Channel.WEB else None,
            shipping_method=shipping_method if channel == Order.Channel.WEB else "",
            idempotency_key=idempotency_key,
            request_fingerprint=request,
            placed_at=placed_at,
            paying=bool(payment_token),
        )
    except KeyTaken as taken:
        return _as_new(replay_twin(actor, idempotency_key, request, taken))
    check_expected_total(new.order, expected_total)
    ttl = None if payment_token else settings.MILLET_RESERVATION_TTL_SECONDS
    holds = hold_stock(
        new, store=store, near=near, ttl_seconds=ttl, allow_backorder=channel == Order.Channel.WEB
    )
    take_voucher(new)
    tax_by_origin(new.order, new.lines, holds, {info.id: info.tax_class for info in new.skus.values()})
    if payment_token:
        _authorize(new.order, new.lines, payment_token)
    return new


def _as_new(replayed: Order) -> NewOrder:
    """A replayed order as ``place_order_with_lines`` answers it."""
    lines = list(replayed.lines.all())  # get_order read them with the order
    skus = skus_by_id(line.sku_id for line in lines)
    return NewOrder(replayed, lines, {info.code: info for info in skus.values()}, replayed=True)


def replayed_order(actor: Actor, idempotency_key: str, customer_id: int | None = None) -> Order | None:
    """The order an earlier request with this idempotency key created, None if there is none yet;
    Conflict ``idempotency_key_reused`` when it is someone else's."""
    existing = keyed_order(idempotency_key)
    if existing is None:
        return None
    if existing.customer_id != (actor.user_id if customer_id is None else customer_id):
        raise Conflict("idempotency key belongs to another order", code="idempotency_key_reused")
    return get_order(actor, existing.number)


def keyed_order(idempotency_key: str) -> Order | None:
    """The order written with this idempotency key, found through its key row (``OrderKey``): the
    order table keeps no index of its own on the key, which every checkout would write."""
    number = OrderKey.objects.filter(idempotency_key=idempotency_key).values("number")[:1]
    return Order.objects.filter(number=Subquery(number)).first()


class KeyTaken(Conflict):
    """``create_order`` met the order a twin request (the same idempotency key) committed after this
    request's ``replay_order`` looked: 409 ``idempotency_key_reused`` unless the caller answers with
    that order (``replay_twin``)."""


def replay_twin(actor: Actor, idempotency_key: str | None, request: str, taken: DomainError) -> Order:
    """The order of a twin that committed while this request was checking or writing (its refusal,
    ``taken``, met before this request wrote anything): the twin's order if it is the same request
    (``replay_order``), else ``taken`` is raised. On PostgreSQL a clash on the key waits for the twin
    to commit, so a twin seen is a twin done."""
    replayed = replay_order(actor, idempotency_key, request)
    if replayed is None:
        raise taken
    return replayed


@dataclass(frozen=True)
class NewOrder:
    """An order just written, with its lines and the catalog's facts about their SKUs (by code);
    ``replayed``: an earlier request with the same idempotency key wrote it, this one wrote nothing."""

    order: Order
    lines: list[OrderLine]
    skus: dict[str, SkuInfo]
    replayed: bool = False


def order_request(*, lines: Sequence[LineRequest], **params: object) -> str:
    """The fingerprint (core.idempotency) of a ``place_order`` request: its merged lines by SKU and
    every other parameter that decides the order (market, channel, store, voucher, delivery, payment
    token, customer)."""
    return fingerprint(
        "place_order", lines=sorted((line.sku_code, line.quantity) for line in merge_lines(lines)), **params
    )


def replay_order(actor: Actor, idempotency_key: str | None, request: str) -> Order | None:
    """The order an earlier request with this key created, when ``request`` (its fingerprint) is the
    same; None for a new key. A key used for a different request is a 409 ``idempotency_key_reused``
    (core.idempotency): the client must not take the first order for the one it asks for now.
    """
    if not idempotency_key:
        return None
    existing = keyed_order(idempotency_key)
    if existing is None:
        return None
    check_same_request(existing.request_fingerprint, request)
    return get_order(actor, existing.number)


def price_lines(market: str, currency: str, lines: Sequence[LineRequest], voucher_code: str | None):
    """Price merged lines in a market as an order would be, voucher included: returns the SKUs'
    facts by code, the pricing inputs, the voucher (or None) and ``pricing.price_order``'s result.
    Refusals: the catalog's for unknown or unsold SKUs, ``find_voucher``'s for the voucher."""
    offers = sku_offers([line.sku_code for line in lines], market)
    skus = {code: info for code, (info, _) in offers.items()}
    inputs = [
        LineInput(line.sku_code, line.quantity, offers[line.sku_code][1], skus[line.sku_code].tax_class)
        for line in lines
    ]
    subtotal = sum((i.unit_price * i.quantity for i in inputs), Decimal(0))
    voucher = find_voucher(voucher_code, market, subtotal) if voucher_code else None
    priced = price_order(
        market, currency, inputs, voucher_discount(voucher, subtotal, currency) if voucher else Decimal(0)
    )
    return skus, inputs, voucher, priced


def create_order(
    *,
    market,
    currency,
    lines,
    channel,
    store,
    customer_id,
    staff_id,
    voucher_code,
    shipping_city,
    idempotency_key,
    request_fingerprint="",
    shipping_state="",
    address: ShippingAddress | None = None,
    shipping_method: str = "",
    placed_at=None,
    paying: bool = False,
) -> NewOrder:
    """Price the lines and write the order, its keys and its lines; the caller holds the stock and
    then takes the voucher's use (``hold_stock``, ``take_voucher``).

    ``paying``: the same transaction authorises payment before it commits (``place_order`` with a
    payment token), so the order is written with the status and time of payment at once (see
    ``_authorize``); a declined card rolls the whole order back.
    """
    skus, inputs, voucher, priced = price_lines(market, currency, lines, voucher_code)
    shipping = NO_SHIPPING
    if shipping_method:  # taxed as the principal goods are (see sales.services.shipping)
        principal = max(zip(priced.lines, inputs, strict=True), key=lambda pair: pair[0].total)[1]
        shipping = shipping_charge(market, shipping_method, principal.tax_class)
    order = Order(
        number=document_number(market),
        channel=channel,
        customer_id=customer_id,
        market_id=market,
        currency=currency,
        store_id=store.id if store else None,
        staff_id=staff_id,
        voucher=voucher,
        shipping_city=shipping_city[:64],
        shipping_state=shipping_state,
        shipping_recipient=address.recipient if address else "",
        shipping_phone=address.phone if address else "",
        shipping_line1=address.line1 if address else "",
        shipping_line2=address.line2 if address else "",
        shipping_postal_code=address.postal_code if address else "",
        shipping_region=address.region if address else "",
        shipping_method=shipping.method,
        shipping_fee=shipping.price,
        shipping_tax_components={k: str(v) for k, v in shipping.tax_components.items()},
        subtotal=priced.subtotal,
        discount=priced.discount,
        tax=priced.tax + shipping.tax,
        total=priced.total + shipping.price,
        refunded=quantize(Decimal(0), currency),
        idempotency_key=idempotency_key,
        pickup_code=pickup_code() if channel == Order.Channel.CLICK_COLLECT else "",
        request_fingerprint=request_fingerprint,
        created_at=placed_at or timezone.now(),
    )
    if paying:
        order.status, order.paid_at = _paid_status(channel, ()), timezone.now()
    order_lines = [
        OrderLine(
            sku_id=skus[p.sku_code].id,
            quantity=p.quantity,
            unit_price=p.unit_price,
            discount=p.discount,
            tax=p.tax,
            tax_components={k: str(v) for k, v in p.tax_components.items()},
            tax_rates={k: str(v) for k, v in p.tax_rates.items()},
            total=p.total,
        )
        for p in priced.lines
    ]
    # The key row first (OrderKey holds the uniqueness the partitioned order table cannot), then the
    # order and its lines: one statement on PostgreSQL (core.sql), the checkout's hot path. Only a keyed
    # request can collide with a twin, so only it pays for the savepoint it needs to recover; it may
    # also meet another order's number (48 random bits a day, see core.numbers), and draws again.
    for draw in range(NUMBER_DRAWS):
        try:
            with transaction.atomic() if idempotency_key else nullcontext():
                key = OrderKey(number=order.number, idempotency_key=idempotency_key)
                sql.insert_family([key], order, order_lines, "order")
            break
        except IntegrityError:
            if not idempotency_key or draw == NUMBER_DRAWS - 1:
                raise
            if keyed_order(idempotency_key) is not None:
                raise KeyTaken(
                    "a request with this idempotency key has placed its order", code="idempotency_key_reused"
                ) from None
            order.number = document_number(market)
    for line in order_lines:
        line.order = order  # the instance itself, so line.reference reads its number without a query
    return NewOrder(order, order_lines, skus)


def take_voucher(new: NewOrder) -> None:
    """Count the use of the order's voucher, if it has one (``redeem_voucher``: 409
    ``voucher_limit_reached`` when used up). Called once the order's stock is held: every writer
    locks stock rows before the voucher row (a cancel and the expiry of unpaid orders give the stock
    back first), and a checkout that took them the other way round deadlocked beside a cancel of
    another order with the same voucher."""
    if new.order.voucher is not None:
        redeem_voucher(new.order.voucher, new.order, new.order.customer_id)


def hold_stock(
    new: NewOrder, *, store, near, ttl_seconds, allow_backorder: bool, only_store: bool = False
) -> dict[int, list[inventory.Held]]:
    """Hold every line's units at once (see ``inventory.reserve_many``); returns the holds by line id
    (none for a back-ordered line)."""
    order = new.order
    by_id = {info.id: info for info in new.skus.values()}
    held = inventory.reserve_many(
        [
            inventory.HoldRequest(
                line.sku_id,
                line.quantity,
                line_reference(order.number, line.pk),
                backorder_ok=allow_backorder and by_id[line.sku_id].allow_backorder,
            )
            for line in new.lines
        ],
        market=order.market_id,
        store_location_id=store.location_id if store else None,
        only_store=only_store or order.channel == Order.Channel.CLICK_COLLECT,
        near=near,
        ttl_seconds=ttl_seconds,
    )
    holds: dict[int, list[inventory.Held]] = {}
    backordered = []
    for line, line_holds in zip(new.lines, held, strict=True):
        if line_holds is not None:
            holds[line.pk] = line_holds
            continue
        inventory.add_backorder(
            sku_id=line.sku_id,
            market=order.market_id,
            quantity=line.quantity,
            reference=line_reference(order.number, line.pk),
        )
        backordered.append(line.pk)
    if backordered:
        OrderLine.objects.filter(pk__in=backordered).update(backordered=True)
        for line in new.lines:
            line.backordered = line.pk in backordered
    return holds


def tax_by_origin(
    order: Order,
    lines: Sequence[OrderLine],
    holds: dict[int, list[inventory.Held]],
    tax_classes: dict[int, str],
) -> None:
    """Where a web order's units ship from decides its GST: units held in a state other than the
    order's place of supply (``shipping_state``) are an inter-state supply (IGST), the rest CGST +
    SGST (``regions.is_inter_state``); the shipping fee follows the principal line (most of its
    units inter-state: IGST). Runs when stock is held and again when the units leave (a
    back-order is held only once stock arrives). Rewrites the lines' tax and the order's where
    that changes them, each line's rates with its amounts (the invoice prints them side by side);
    gross totals never change, so neither does what the buyer pays.
    """
    if not order.shipping_state:
        return  # no place of supply given: the supplier's own state, as priced
    changed, inter_units = [], {}
    for line in lines:
        inter = sum(
            h.quantity for h in holds.get(line.pk, ()) if is_inter_state(h.state, order.shipping_state)
        )
        inter_units[line.pk] = inter
        tax, components, rates = line_tax(
            order.market_id, order.currency, tax_classes[line.sku_id], line.total, line.quantity, inter
        )
        stored = {k: str(v) for k, v in components.items()}
        stored_rates = {k: str(v) for k, v in rates.items()}
        if stored != line.tax_components or stored_rates != line.tax_rates:
            line.tax, line.tax_components, line.tax_rates = tax, stored, stored_rates
            changed.append(line)
    shipping_changed = False
    if order.shipping_method:  # the fee follows its principal goods across the border, or not
        principal = max(lines, key=lambda line: Decimal(line.total))
        fee = shipping_charge(
            order.market_id,
            order.shipping_method,
            tax_classes[principal.sku_id],
            inter_state=2 * inter_units[principal.pk] > principal.quantity,
        )
        stored = {k: str(v) for k, v in fee.tax_components.items()}
        shipping_changed = stored != order.shipping_tax_components
        order.shipping_tax_components = stored
    if changed or shipping_changed:
        OrderLine.objects.bulk_update(changed, ["tax", "tax_components", "tax_rates"])
        shipping_tax = sum((Decimal(v) for v in order.shipping_tax_components.values()), Decimal(0))
        order.tax = sum((Decimal(line.tax) for line in lines), shipping_tax)
        Order.objects.filter(pk=order.pk).update(
            tax=order.tax, shipping_tax_components=order.shipping_tax_components
        )


def _authorize(
    order: Order,
    lines: Sequence[OrderLine],
    payment_token: str,
    *,
    holds_expire: bool = False,
    gateway: str | None = None,
) -> None:
    """Authorise payment for the whole order; a paid order's stock holds must not lapse.

    A keyed authorisation only for orders paid after placing: placing and paying in one request is
    a single transaction on a brand-new order number, so nothing can replay it.
    """
    finance.authorize_payment(
        reference=order.number,
        amount=order.total,
        currency=order.currency,
        payment_token=payment_token,
        idempotency_key=f"auth:{order.number}" if holds_expire else None,
        gateway_name=gateway,
    )
    if holds_expire:
        for line in lines:
            inventory.confirm_reservations(line_reference(order.number, line.pk))
    status = _paid_status(order.channel, lines)
    if order.paid_at is not None and order.status == status:
        return  # written so with the order (create_order's ``paying``): no second write
    order.status, order.paid_at = status, timezone.now()
    Order.objects.filter(pk=order.pk).update(status=status, paid_at=order.paid_at)


def _paid_status(channel: str, lines: Sequence[OrderLine]) -> str:
    """An order's status once its payment is authorised: a click-and-collect order is ready at its
    store; a delivered one waits as back-ordered while any line does, else it is paid."""
    if channel == Order.Channel.CLICK_COLLECT:
        return Order.Status.READY_FOR_PICKUP
    if any(line.backordered for line in lines):
        return Order.Status.BACKORDERED
    return Order.Status.PAID


@transaction.atomic
def pay_order(actor: Actor, number: str, *, payment_token: str, gateway: str | None = None) -> Order:
    """Pay a placed order; ``gateway`` names another payment method (lending pays by loan)."""
    order = get_order(actor, number, for_update=True)
    if order.customer_id != actor.user_id and not actor.is_staff:
        raise Forbidden("only the buyer pays an order")
    if order.status != Order.Status.PLACED:
        raise Conflict(f"order is {order.status}", code="not_payable")
    if not all(
        inventory.held_for(line_reference(order.number, line.pk)) or line.backordered
        for line in order.lines.all()
    ):
        raise Conflict("the stock hold expired; place the order again", code="hold_expired")
    _authorize(order, list(order.lines.all()), payment_token, holds_expire=True, gateway=gateway)
    return order
