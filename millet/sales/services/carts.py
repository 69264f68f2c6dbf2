"""The web store's cart: lines a customer collects before checkout, priced as the order will be."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Subquery, Sum

from millet.accounts.actor import Actor
from millet.catalog.services import SkuInfo, sku_id_for, sku_offers
from millet.core.errors import Conflict, DomainError, Forbidden, NotFound, Unprocessable
from millet.core.integrity import created_or_found
from millet.core.shared_cache import SharedFacts
from millet.inventory.services import check_quantity
from millet.regions.services import get_market
from millet.sales.models import Cart, CartLine, Order
from millet.sales.pricing import LineInput, PricedLine, price_order
from millet.sales.services.names import sku_codes
from millet.sales.services.orders import (
    LineRequest,
    ShippingAddress,
    order_request,
    place_order_with_lines,
    replay_order,
)
from millet.sales.services.vouchers import find_voucher, voucher_discount


def open_cart(actor: Actor, market: str) -> Cart:
    """The customer's open cart in a market, created on first use."""
    if actor.user_id is None:
        raise Forbidden("sign in to shop")
    get_market(market)
    open_carts = Cart.objects.filter(customer_id=actor.user_id, market_id=market, checked_out=False)
    cart = open_carts.first()
    if cart is not None:
        return cart
    # A twin request may make it first (one_open_cart_per_market): its cart is the one.
    return created_or_found(
        lambda: Cart.objects.create(customer_id=actor.user_id, market_id=market), open_carts.first
    )


# The header's count on every page, kept per customer in the shared cache until their cart changes
# (``_cart_changed``: a line set or removed, a checkout).
cart_units_kept = SharedFacts("sales-cart-units")


def cart_units(actor: Actor | None, market: str) -> int:
    """How many units the customer's open cart in ``market`` holds (0 for a visitor, or no cart yet),
    in one query (none while the shared cache holds it) and without opening a cart: the store
    header's count."""
    if actor is None or actor.user_id is None:
        return 0

    def counted() -> int:
        open_cart = Cart.objects.filter(customer_id=actor.user_id, market_id=market, checked_out=False)
        found = CartLine.objects.filter(cart_id=Subquery(open_cart.values("pk"))).aggregate(
            units=Sum("quantity")
        )
        return found["units"] or 0

    return cart_units_kept.get(str(actor.user_id), market, counted)


def _cart_changed(cart: Cart) -> None:
    """The customer's kept counts are read again once this change commits."""
    cart_units_kept.forget(str(cart.customer_id))


def get_cart(actor: Actor, cart_id: int, *, for_update: bool = False) -> Cart:
    """The actor's cart with its lines; 404 ``unknown_cart`` for anyone else's. ``for_update`` locks
    its row until the caller's transaction ends: every change to a cart and its checkout take this
    lock first, so a checkout sees the lines as they are when it commits (a line set beside it
    waits, then finds the cart checked out), and a twin of a checkout waits for it and replays its
    order rather than finding the cart closed under it."""
    carts = Cart.objects.select_for_update() if for_update else Cart.objects
    cart = carts.filter(pk=cart_id, customer_id=actor.user_id).prefetch_related("lines").first()
    if cart is None:
        raise NotFound("no such cart", code="unknown_cart")
    return cart


def _require_open(cart: Cart) -> None:
    if cart.checked_out:
        raise Conflict("cart is already checked out", code="cart_checked_out")


@transaction.atomic
def set_cart_line(actor: Actor, cart_id: int, sku_code: str, quantity: int) -> Cart:
    """Set a line's quantity; 0 removes it. Prices are checked now so the cart never holds unsellable SKUs."""
    cart = get_cart(actor, cart_id, for_update=True)
    _require_open(cart)
    if quantity == 0:
        CartLine.objects.filter(cart=cart, sku_id=sku_id_for(sku_code)).delete()
        _cart_changed(cart)
        return get_cart(actor, cart_id)
    check_quantity(quantity)
    sku, _ = sku_offers([sku_code], cart.market_id)[sku_code]  # unknown SKU -> 404, not sold here -> 409
    CartLine.objects.update_or_create(cart=cart, sku_id=sku.id, defaults={"quantity": quantity})
    _cart_changed(cart)
    return get_cart(actor, cart_id)


@dataclass(frozen=True)
class CartLineView:
    sku: SkuInfo
    priced: PricedLine


@dataclass(frozen=True)
class CartSummary:
    """A cart priced as checkout would price it now: lines, voucher, tax and totals (before
    shipping), in ``currency``. ``voucher_problem`` is why the cart's voucher does not apply
    (the refusal of ``find_voucher``), None when it does or there is none."""

    cart: Cart
    currency: str
    lines: list[CartLineView]
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    voucher_code: str
    voucher_problem: DomainError | None

    @property
    def quantity(self) -> int:
        return sum(line.priced.quantity for line in self.lines)

    @property
    def tax_components(self) -> dict[str, Decimal]:
        """The tax inside the total by component (VAT; India: CGST and SGST until checkout knows
        the delivery state), each the sum of the lines' own."""
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            for name, amount in line.priced.tax_components.items():
                totals[name] = totals.get(name, Decimal(0)) + amount
        return totals


def cart_summary(actor: Actor, cart_id: int) -> CartSummary:
    """Price the actor's cart (``pricing.price_order``, the order's own arithmetic); a line whose
    SKU can no longer be sold there makes it refuse as checkout would (404 or 409)."""
    cart = get_cart(actor, cart_id)
    currency = get_market(cart.market_id).currency
    rows = sorted(cart.lines.all(), key=lambda line: line.pk)
    codes = sku_codes(line.sku_id for line in rows)
    offers = sku_offers([codes[line.sku_id] for line in rows], cart.market_id) if rows else {}
    inputs = [
        LineInput(
            codes[r.sku_id], r.quantity, offers[codes[r.sku_id]][1], offers[codes[r.sku_id]][0].tax_class
        )
        for r in rows
    ]
    subtotal = sum((i.unit_price * i.quantity for i in inputs), Decimal(0))
    discount, problem = Decimal(0), None
    if cart.voucher_code and inputs:
        try:
            voucher = find_voucher(cart.voucher_code, cart.market_id, subtotal)
        except (NotFound, Conflict, Unprocessable) as exc:
            problem = exc
        else:
            discount = voucher_discount(voucher, subtotal, currency)
    priced = price_order(cart.market_id, currency, inputs, discount)
    return CartSummary(
        cart=cart,
        currency=currency,
        lines=[CartLineView(offers[p.sku_code][0], p) for p in priced.lines],
        subtotal=priced.subtotal,
        discount=priced.discount,
        tax=priced.tax,
        total=priced.total,
        voucher_code=cart.voucher_code,
        voucher_problem=problem,
    )


@transaction.atomic
def set_cart_voucher(actor: Actor, cart_id: int, code: str) -> Cart:
    """Keep a voucher code on the cart if it applies to it now; "" takes it off. Raises what
    ``find_voucher`` refuses with (404 ``unknown_voucher``, 422 ``voucher_wrong_market``, 409
    ``voucher_expired`` or ``voucher_min_spend``), and the cart keeps its old code."""
    cart = get_cart(actor, cart_id, for_update=True)
    _require_open(cart)
    code = code.strip().upper()[:32]
    if code:
        summary = cart_summary(actor, cart_id)
        find_voucher(code, cart.market_id, summary.subtotal)
    Cart.objects.filter(pk=cart.pk).update(voucher_code=code)
    return get_cart(actor, cart_id)


@transaction.atomic
def checkout_cart(
    actor: Actor,
    cart_id: int,
    *,
    payment_token: str | None = None,
    channel: str = Order.Channel.WEB,
    store_code: str | None = None,
    voucher_code: str | None = None,
    shipping_city: str = "",
    shipping_state: str = "",
    address: ShippingAddress | None = None,
    shipping_method: str = "",
    near: tuple[float, float] | None = None,
    idempotency_key: str | None = None,
    expected_total: Decimal | None = None,
) -> Order:
    """Turn the cart into an order (``place_order``'s arguments, ``expected_total`` included: 409
    ``price_changed`` leaves the cart open); a cart checks out once. A request sent again with the
    same ``idempotency_key`` (a double click, a reload, the back button) gets the order the first
    one made, and nothing is charged twice."""
    cart = get_cart(actor, cart_id, for_update=True)
    codes = sku_codes(line.sku_id for line in cart.lines.all())
    lines = [LineRequest(codes[line.sku_id], line.quantity) for line in cart.lines.all()]
    params = {
        "market": cart.market_id,
        "channel": channel,
        "store_code": store_code,
        "voucher_code": voucher_code or cart.voucher_code or None,
        "shipping_city": shipping_city,
        "shipping_state": shipping_state,
        "address": address,
        "shipping_method": shipping_method,
        "near": near,
        "payment_token": payment_token,
    }
    if cart.checked_out:
        # A retried checkout (same key, same request) answers with the order it made; nothing else may.
        request = order_request(lines=lines, customer_id=actor.user_id, **params)
        replayed = replay_order(actor, idempotency_key, request)
        if replayed is None:
            raise Conflict("cart is already checked out", code="cart_checked_out")
        return replayed
    new = place_order_with_lines(
        actor, lines=lines, idempotency_key=idempotency_key, expected_total=expected_total, **params
    )
    if new.replayed:
        # The key's order came from another cart (this one would be checked out with it, in the same
        # transaction): answering with it would check this cart out with nothing ordered.
        raise Conflict(
            "this idempotency key placed an order from another cart", code="idempotency_key_reused"
        )
    Cart.objects.filter(pk=cart.pk).update(checked_out=True)
    _cart_changed(cart)
    return new.order
