"""The sales domain's service API: everything views, admin, commands and other domains may call."""

from millet.sales.services.cancelling import cancel_order, cancellable, expire_unpaid_orders
from millet.sales.services.carts import (
    CartSummary,
    cart_summary,
    cart_units,
    checkout_cart,
    get_cart,
    open_cart,
    set_cart_line,
    set_cart_voucher,
)
from millet.sales.services.flash import (
    FlashClaim,
    FlashOffer,
    expire_flash_order,
    flash_order_statuses,
    place_flash_orders,
    release_campaign_units,
    set_aside_units,
)
from millet.sales.services.fulfilment import collect_order, fulfil_order
from millet.sales.services.invoices import (
    Invoice,
    InvoiceLine,
    SellerFacts,
    invoice_for,
    invoiceable,
    seller_for,
)
from millet.sales.services.names import OrderNames, names_for, sku_codes, sku_titles
from millet.sales.services.orders import (
    LineRequest,
    ShippingAddress,
    SoldUnit,
    get_order,
    line_reference,
    list_orders,
    pay_order,
    place_order,
    replayed_order,
    sold_unit,
    sold_units,
)
from millet.sales.services.payments import OrderPayment, order_payments
from millet.sales.services.pickup import PickupOption, pickup_options
from millet.sales.services.pos import pos_sale
from millet.sales.services.return_requests import (
    decide_return,
    get_return_authorization,
    receive_return,
    request_return,
    return_authorizations,
    returnable_units,
)
from millet.sales.services.returns import ReturnRequest, return_order
from millet.sales.services.shipping import ShippingMethod, shipping_methods
from millet.sales.services.stores import (
    PickupStore,
    StoreDirectory,
    StoreFacts,
    pickup_stores,
    use_store_directory,
)
from millet.sales.services.vouchers import BelowMinimumSpend

__all__ = [
    "BelowMinimumSpend",
    "CartSummary",
    "FlashClaim",
    "Invoice",
    "InvoiceLine",
    "OrderPayment",
    "SellerFacts",
    "FlashOffer",
    "LineRequest",
    "OrderNames",
    "PickupOption",
    "PickupStore",
    "ReturnRequest",
    "ShippingAddress",
    "ShippingMethod",
    "SoldUnit",
    "StoreDirectory",
    "StoreFacts",
    "cancel_order",
    "cart_summary",
    "cart_units",
    "cancellable",
    "decide_return",
    "get_return_authorization",
    "invoice_for",
    "invoiceable",
    "order_payments",
    "receive_return",
    "request_return",
    "return_authorizations",
    "returnable_units",
    "seller_for",
    "checkout_cart",
    "collect_order",
    "expire_flash_order",
    "expire_unpaid_orders",
    "flash_order_statuses",
    "fulfil_order",
    "get_cart",
    "get_order",
    "line_reference",
    "list_orders",
    "names_for",
    "open_cart",
    "pickup_options",
    "pickup_stores",
    "pay_order",
    "place_flash_orders",
    "place_order",
    "pos_sale",
    "release_campaign_units",
    "replayed_order",
    "return_order",
    "set_aside_units",
    "set_cart_line",
    "set_cart_voucher",
    "shipping_methods",
    "sold_unit",
    "sold_units",
    "sku_codes",
    "sku_titles",
    "use_store_directory",
]
