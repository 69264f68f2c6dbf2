"""The sales domain's service API: everything views, admin, commands and other domains may call."""

from millet.sales.services.carts import checkout_cart, get_cart, open_cart, set_cart_line
from millet.sales.services.flash import (
    FlashClaim,
    FlashOffer,
    expire_flash_order,
    flash_order_statuses,
    place_flash_orders,
    release_campaign_units,
    set_aside_units,
)
from millet.sales.services.orders import (
    LineRequest,
    cancel_order,
    collect_order,
    expire_unpaid_orders,
    fulfil_order,
    get_order,
    line_reference,
    list_orders,
    pay_order,
    place_order,
    pos_sale,
)
from millet.sales.services.returns import ReturnRequest, return_order

__all__ = [
    "FlashClaim",
    "FlashOffer",
    "expire_flash_order",
    "flash_order_statuses",
    "place_flash_orders",
    "release_campaign_units",
    "set_aside_units",
    "LineRequest",
    "ReturnRequest",
    "cancel_order",
    "checkout_cart",
    "collect_order",
    "expire_unpaid_orders",
    "fulfil_order",
    "get_cart",
    "get_order",
    "line_reference",
    "list_orders",
    "open_cart",
    "pay_order",
    "place_order",
    "pos_sale",
    "return_order",
    "set_cart_line",
]
