"""The sales API's request and response types (names unique across the whole API)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

from millet.core.types import Money, PaymentToken, Quantity, WholeNumber

Units = Annotated[Quantity, Field(le=1000)]


SkuCode = Annotated[str, Field(min_length=1, max_length=32)]


Serial = Annotated[str, Field(min_length=1, max_length=32)]


class LineIn(Schema):
    sku: SkuCode
    quantity: Units


class CheckoutIn(Schema):
    payment_token: PaymentToken | None = None
    channel: Literal["web", "click_collect"] = "web"
    store_code: Annotated[str | None, Field(max_length=32)] = None
    voucher_code: Annotated[str | None, Field(max_length=32)] = None
    shipping_city: Annotated[str, Field(max_length=64)] = ""
    shipping_state: Annotated[
        str,
        Field(
            max_length=6,
            description="ISO 3166-2 code of the delivery state, e.g. IN-MH: India's GST place of supply "
            "(IGST when the goods ship from another state)",
        ),
    ] = ""
    shipping_method: Annotated[
        str,
        Field(
            max_length=16,
            description="Delivery only (channel web): the code of one of the market's shipping methods "
            "(GET /api/sales/shipping-methods?market=..., e.g. standard or express), whose fee is added "
            "to the total; an unknown code is 422 unknown_shipping_method. Empty: no delivery is charged. "
            "Ignored for click_collect, which ships nothing.",
        ),
    ] = ""
    latitude: Annotated[Decimal | None, Field(ge=-90, le=90)] = None
    longitude: Annotated[Decimal | None, Field(ge=-180, le=180)] = None
    expected_total: Annotated[
        Money | None,
        Field(
            description="The total the buyer was shown (goods and shipping, in the market's currency). "
            "If the order prices to anything else now, it is refused with 409 price_changed and nothing "
            "is placed or charged. Omitted: the order is placed at today's prices.",
        ),
    ] = None


class ShippingMethodOut(Schema):
    """One way a market delivers a web order, priced gross (tax included) in its currency."""

    code: str
    label: str
    delivery_time: str
    price: Decimal
    currency: str


class PlaceOrderIn(CheckoutIn):
    """Buy now: a checkout that names its lines instead of a cart's."""

    market: Annotated[str, Field(min_length=2, max_length=2)]
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=50)]


class OrderLineOut(Schema):
    id: int
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    tax: Decimal
    tax_components: dict[str, Decimal] = Field(
        description='The tax by component, e.g. {"CGST": "9.00", "SGST": "9.00"}'
    )
    total: Decimal
    quantity_fulfilled: int
    quantity_returned: int
    backordered: bool
    serials: list[str]


class OrderOut(Schema):
    number: str
    channel: str
    status: str
    market: str
    currency: str
    store: str | None
    shipping_state: str
    shipping_method: str  # "" when nothing is delivered (or none was chosen)
    shipping_fee: Decimal  # gross, included in total
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    refunded: Decimal
    carrier: str
    tracking_number: str
    pickup_code: str  # click-and-collect: what the buyer shows at the counter; "" otherwise
    created_at: datetime
    lines: list[OrderLineOut]


class OrderPayIn(Schema):
    payment_token: PaymentToken


class CollectIn(Schema):
    serials: Annotated[list[Serial], Field(max_length=100)] = []


class ReturnLineIn(Schema):
    line_id: WholeNumber
    quantity: Units
    serials: Annotated[list[Serial], Field(max_length=1000)] = []


class ReturnIn(Schema):
    store_code: Annotated[str | None, Field(max_length=32)] = None
    warehouse_code: Annotated[str | None, Field(max_length=32)] = None
    lines: Annotated[list[ReturnLineIn], Field(min_length=1, max_length=50)]
    reason: Annotated[str, Field(max_length=255)] = ""


class ReturnOut(Schema):
    id: int
    order: str
    refund_amount: Decimal
    status: str


class PosLineIn(LineIn):
    """A till line: a SKU without serial numbers, or a serialized one with one scan per unit."""

    serials: Annotated[list[Serial], Field(max_length=100)] = []


class PosBasketIn(Schema):
    """What a cashier has rung up: priced by POST /api/sales/pos/quotes, sold by POST /api/sales/pos/sales."""

    store_code: Annotated[str, Field(min_length=1, max_length=32)]
    serials: Annotated[
        list[Serial], Field(max_length=100, description="Scanned units; each serialized unit must be scanned")
    ] = []
    lines: Annotated[list[PosLineIn], Field(max_length=50)] = []
    voucher_code: Annotated[str | None, Field(max_length=32)] = None


class PosQuoteOut(Schema):
    """What a till sale comes to before payment, in the market's currency."""

    currency: str
    subtotal: Decimal
    discount: Decimal
    tax: Decimal = Field(description="Tax in the total (added to it where prices are quoted net)")
    total: Decimal = Field(description="What the buyer pays: send it back as the sale's expected_total")


class PosSaleIn(PosBasketIn):
    payment_token: Annotated[
        PaymentToken | None, Field(description="Paid by card: the card's token. Give this or cash_tendered.")
    ] = None
    cash_tendered: Annotated[
        Money | None,
        Field(
            description="Paid in cash: what the buyer hands over, in the market's currency; at least the "
            "total (422 cash_short otherwise), and the till's day must be open (409 till_not_open). "
            "Give this or payment_token."
        ),
    ] = None
    customer_id: WholeNumber | None = None
    expected_total: Annotated[
        Money | None,
        Field(
            description="The total the cashier told the buyer (POST /api/sales/pos/quotes, voucher "
            "included). If the sale prices to anything else now, it is refused with 409 price_changed "
            "and no unit or money moves. Omitted: the sale is made at today's prices.",
        ),
    ] = None


class PosSaleOut(OrderOut):
    """A till sale: the order, and for cash what was handed over and the change given back."""

    cash_tendered: Decimal | None = Field(description="Cash handed over; null for a card sale")
    change: Decimal | None = Field(description="Cash given back (tendered less total); null for a card sale")


class CartIn(Schema):
    market: Annotated[str, Field(min_length=2, max_length=2)]


class CartLineOut(Schema):
    sku: str
    quantity: int


class CartOut(Schema):
    id: int
    market: str
    checked_out: bool
    lines: list[CartLineOut]


class CartLineIn(Schema):
    quantity: Annotated[WholeNumber, Field(ge=0, le=1000)]
