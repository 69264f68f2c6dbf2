"""The web store's cart: lines a customer collects before checkout."""

from __future__ import annotations

from django.db import transaction

from millet.accounts.actor import Actor
from millet.catalog.services import sku_id_for, sku_offers
from millet.core.errors import Conflict, Forbidden, NotFound
from millet.inventory.services import check_quantity
from millet.regions.services import get_market
from millet.sales.models import Cart, CartLine, Order
from millet.sales.services.names import sku_codes
from millet.sales.services.orders import LineRequest, order_request, place_order, replay_order


def open_cart(actor: Actor, market: str) -> Cart:
    """The customer's open cart in a market, created on first use."""
    if actor.user_id is None:
        raise Forbidden("sign in to shop")
    get_market(market)
    cart = (
        Cart.objects.filter(customer_id=actor.user_id, market_id=market, checked_out=False)
        .order_by("-pk")
        .first()
    )
    return cart or Cart.objects.create(customer_id=actor.user_id, market_id=market)


def get_cart(actor: Actor, cart_id: int) -> Cart:
    cart = Cart.objects.filter(pk=cart_id, customer_id=actor.user_id).prefetch_related("lines").first()
    if cart is None:
        raise NotFound("no such cart", code="unknown_cart")
    return cart


def set_cart_line(actor: Actor, cart_id: int, sku_code: str, quantity: int) -> Cart:
    """Set a line's quantity; 0 removes it. Prices are checked now so the cart never holds unsellable SKUs."""
    cart = get_cart(actor, cart_id)
    if cart.checked_out:
        raise Conflict("cart is already checked out", code="cart_checked_out")
    if quantity == 0:
        CartLine.objects.filter(cart=cart, sku_id=sku_id_for(sku_code)).delete()
        return get_cart(actor, cart_id)
    check_quantity(quantity)
    sku, _ = sku_offers([sku_code], cart.market_id)[sku_code]  # unknown SKU -> 404, not sold here -> 409
    CartLine.objects.update_or_create(cart=cart, sku_id=sku.id, defaults={"quantity": quantity})
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
    near: tuple[float, float] | None = None,
    idempotency_key: str | None = None,
) -> Order:
    """Turn the cart into an order; a cart checks out once, even when the request is sent twice."""
    cart = get_cart(actor, cart_id)
    codes = sku_codes(line.sku_id for line in cart.lines.all())
    lines = [LineRequest(codes[line.sku_id], line.quantity) for line in cart.lines.all()]
    params = {
        "market": cart.market_id,
        "channel": channel,
        "store_code": store_code,
        "voucher_code": voucher_code or cart.voucher_code or None,
        "shipping_city": shipping_city,
        "shipping_state": shipping_state,
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
    order = place_order(actor, lines=lines, idempotency_key=idempotency_key, **params)
    if not Cart.objects.filter(pk=cart.pk, checked_out=False).update(checked_out=True):
        raise Conflict("cart is already checked out", code="cart_checked_out")
    return order
