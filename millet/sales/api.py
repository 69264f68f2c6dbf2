"""HTTP routes for carts, checkout, orders, point-of-sale sales and returns; thin over sales.services."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from ninja import Query, Router, Status

from millet.core.openapi import ErrorOut
from millet.core.pagination import MAX_OFFSET
from millet.core.types import IdempotencyKey
from millet.regions.services import get_market
from millet.sales import services
from millet.sales.models import Order, OrderLine
from millet.sales.schemas import (
    CartIn,
    CartLineIn,
    CartLineOut,
    CartOut,
    CheckoutIn,
    CollectIn,
    OrderLineOut,
    OrderOut,
    OrderPayIn,
    PlaceOrderIn,
    PosBasketIn,
    PosQuoteOut,
    PosSaleIn,
    PosSaleOut,
    ReturnIn,
    ReturnOut,
    ShippingMethodOut,
)

router = Router(tags=["sales"])


def _lines(order: Order) -> list[OrderLine]:
    """Services hand back the order with its fields current; its lines are read here, as they are now."""
    lines = order.lines.order_by("pk")
    if order.status not in (Order.Status.PLACED, Order.Status.PAID, Order.Status.READY_FOR_PICKUP):
        lines = lines.prefetch_related("units")  # serials exist only once units are handed over
    return list(lines)


def _order_outs(orders: list[Order]) -> list[OrderOut]:
    lines = {order.pk: _lines(order) for order in orders}
    names = services.names_for(orders, [line for order_lines in lines.values() for line in order_lines])
    return [_order_out(order, lines[order.pk], names) for order in orders]


def _order_out(order: Order, lines: list[OrderLine], names: services.OrderNames) -> OrderOut:
    return OrderOut(
        number=order.number,
        channel=order.channel,
        status=order.status,
        market=order.market_id,
        currency=order.currency,
        store=names.stores[order.store_id] if order.store_id else None,
        shipping_state=order.shipping_state,
        shipping_method=order.shipping_method,
        shipping_fee=order.shipping_fee,
        subtotal=order.subtotal,
        discount=order.discount,
        tax=order.tax,
        total=order.total,
        refunded=order.refunded,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        pickup_code=order.pickup_code,
        created_at=order.created_at,
        lines=[
            OrderLineOut(
                id=line.pk,
                sku=names.skus[line.sku_id],
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                tax=line.tax,
                tax_components={k: Decimal(v) for k, v in line.tax_components.items()},
                total=line.total,
                quantity_fulfilled=line.quantity_fulfilled,
                quantity_returned=line.quantity_returned,
                backordered=line.backordered,
                serials=[u.serial for u in line.units.all() if not u.returned]
                if line.quantity_fulfilled
                else [],
            )
            for line in lines
        ],
    )


def _one(order: Order) -> OrderOut:
    return _order_outs([order])[0]


def _placed(placed: services.NewOrder) -> OrderOut:
    """A new order's answer from the lines and SKUs placing wrote and read: nothing read back."""
    order = placed.order
    names = services.OrderNames(
        skus={info.id: code for code, info in placed.skus.items()},
        stores=services.names_for([order], []).stores,  # a pickup store's code, if any
    )
    return _order_out(order, placed.lines, names)


def _near(body) -> tuple[float, float] | None:
    if body.latitude is None or body.longitude is None:
        return None
    return (float(body.latitude), float(body.longitude))


@router.get("/shipping-methods", auth=None, response=list[ShippingMethodOut])
def shipping_methods(request, market: Annotated[str, Query(min_length=2, max_length=2)]):
    """The market's shipping methods for a delivered order (``CheckoutIn.shipping_method``), cheapest
    first, labels in the request's language; 404 ``unknown_market``."""
    currency = get_market(market).currency
    return [
        ShippingMethodOut(
            code=m.code,
            label=str(m.label),
            delivery_time=str(m.delivery_time),
            price=m.price,
            currency=currency,
        )
        for m in services.shipping_methods(market)
    ]


@router.post("/orders", response={201: OrderOut, 402: ErrorOut})
def place_order(request, body: PlaceOrderIn, idempotency_key: IdempotencyKey = None):
    """Buy now: price, hold stock, and with a payment token authorise payment, in one step."""
    placed = services.place_order_with_lines(
        request.actor,
        market=body.market,
        lines=[services.LineRequest(line.sku, line.quantity) for line in body.lines],
        channel=body.channel,
        store_code=body.store_code,
        voucher_code=body.voucher_code,
        shipping_city=body.shipping_city,
        shipping_state=body.shipping_state,
        shipping_method=body.shipping_method,
        near=_near(body),
        payment_token=body.payment_token,
        idempotency_key=idempotency_key,
        expected_total=body.expected_total,
    )
    return Status(201, _placed(placed))


@router.get("/orders", response=list[OrderOut])
def list_orders(
    request,
    store_code: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(gt=0, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
):
    """Your own orders (customers), your store's orders (store staff), or all (staff)."""
    orders = services.list_orders(
        request.actor, store_code=store_code, status=status, limit=limit, offset=offset
    )
    return _order_outs(orders)


@router.get("/orders/{number}", response=OrderOut)
def get_order(request, number: str):
    return _one(services.get_order(request.actor, number))


@router.post("/orders/{number}/pay", response={200: OrderOut, 402: ErrorOut})
def pay_order(request, number: str, body: OrderPayIn):
    return _one(services.pay_order(request.actor, number, payment_token=body.payment_token))


@router.post("/orders/{number}/cancel", response=OrderOut)
def cancel_order(request, number: str):
    return _one(services.cancel_order(request.actor, number))


@router.post("/orders/{number}/fulfil", response=OrderOut)
def fulfil_order(request, number: str):
    """Ship a paid web order: assigns serial numbers and captures the payment (staff). The carrier
    and tracking number are set on the staff order page (/orders/<number>/)."""
    return _one(services.fulfil_order(request.actor, number))


@router.post("/orders/{number}/collect", response=OrderOut)
def collect_order(request, number: str, body: CollectIn):
    return _one(services.collect_order(request.actor, number, serials=body.serials))


@router.post("/orders/{number}/returns", response={201: ReturnOut})
def return_order(request, number: str, body: ReturnIn, idempotency_key: IdempotencyKey = None):
    """Take units back (at a store by its staff, at a warehouse by staff) and refund them. A resend
    with the same ``Idempotency-Key`` answers with the first return and refunds nothing twice; the
    key with another request is 409 ``idempotency_key_reused``."""
    ret = services.return_order(
        request.actor,
        number,
        lines=[
            services.ReturnRequest(line.line_id, line.quantity, tuple(line.serials)) for line in body.lines
        ],
        store_code=body.store_code,
        warehouse_code=body.warehouse_code,
        reason=body.reason,
        idempotency_key=idempotency_key,
    )
    return Status(
        201, ReturnOut(id=ret.pk, order=number, refund_amount=ret.refund_amount, status=ret.order.status)
    )


def _pos_lines(body: PosBasketIn) -> list[services.LineRequest]:
    return [services.LineRequest(line.sku, line.quantity, tuple(line.serials)) for line in body.lines]


@router.post("/pos/quotes", response={200: PosQuoteOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def pos_quote(request, body: PosBasketIn):
    """What a basket rung up at a till comes to, voucher included, changing nothing: the total to tell
    the buyer, then to send as the sale's ``expected_total``. Refusals as the sale's (an unknown or
    sold serial, a voucher not valid now); a till not the actor's is 403."""
    quote = services.quote_sale(
        request.actor,
        store_code=body.store_code,
        serials=body.serials,
        lines=_pos_lines(body),
        voucher_code=body.voucher_code,
    )
    return PosQuoteOut(**vars(quote))


@router.post("/pos/sales", response={201: PosSaleOut, 402: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def pos_sale(request, body: PosSaleIn, idempotency_key: IdempotencyKey = None):
    """A cashier's sale: scanned serials (and unserialized lines) leave the store's stock, paid at once
    by card (``payment_token``) or in cash (``cash_tendered``; the answer gives the change).

    422 ``payment_method`` (neither or both given), ``cash_short`` (less cash than the total);
    409 ``till_day_closed`` (today's day closed), ``till_not_open`` (cash before the day is opened),
    ``price_changed`` (not the ``expected_total`` told the buyer); 402 a declined card. A resend
    with the same Idempotency-Key answers as the first."""
    order = services.pos_sale(
        request.actor,
        store_code=body.store_code,
        serials=body.serials,
        lines=_pos_lines(body),
        payment_token=body.payment_token or "",
        cash_tendered=body.cash_tendered,
        customer_id=body.customer_id,
        voucher_code=body.voucher_code,
        idempotency_key=idempotency_key,
        expected_total=body.expected_total,
    )
    cash = order.cash_tendered
    sale = PosSaleOut(
        **_one(order).model_dump(), cash_tendered=cash, change=None if cash is None else cash - order.total
    )
    return Status(201, sale)


def _cart_out(cart) -> CartOut:
    lines = list(cart.lines.all())
    codes = services.sku_codes(line.sku_id for line in lines)
    return CartOut(
        id=cart.pk,
        market=cart.market_id,
        checked_out=cart.checked_out,
        lines=[CartLineOut(sku=codes[line.sku_id], quantity=line.quantity) for line in lines],
    )


@router.post("/carts", response={201: CartOut})
def open_cart(request, body: CartIn):
    return Status(201, _cart_out(services.open_cart(request.actor, body.market)))


@router.get("/carts/{cart_id}", response=CartOut)
def get_cart(request, cart_id: int):
    return _cart_out(services.get_cart(request.actor, cart_id))


@router.put("/carts/{cart_id}/lines/{sku}", response=CartOut)
def set_cart_line(request, cart_id: int, sku: str, body: CartLineIn):
    return _cart_out(services.set_cart_line(request.actor, cart_id, sku, body.quantity))


@router.post("/carts/{cart_id}/checkout", response={201: OrderOut, 402: ErrorOut})
def checkout(request, cart_id: int, body: CheckoutIn, idempotency_key: IdempotencyKey = None):
    order = services.checkout_cart(
        request.actor,
        cart_id,
        payment_token=body.payment_token,
        channel=body.channel,
        store_code=body.store_code,
        voucher_code=body.voucher_code,
        shipping_city=body.shipping_city,
        shipping_state=body.shipping_state,
        shipping_method=body.shipping_method,
        near=_near(body),
        idempotency_key=idempotency_key,
        expected_total=body.expected_total,
    )
    return Status(201, _one(order))
