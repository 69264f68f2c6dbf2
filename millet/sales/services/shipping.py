"""How a web order reaches its buyer: the shipping methods of each market and their exact prices.

Prices are gross (what the buyer pays, tax included, as every Millet market quotes) in the market's
currency, as Decimals. A click-and-collect order ships nothing and pays nothing for it.

Delivering the goods it sells is part of the seller's supply of those goods, so the fee is taxed
as the order's principal goods are (the line with the largest total): in the EU the costs of
transport form part of the taxable amount of the goods (VAT Directive 2006/112/EC, art. 78(b)); in
China a sale of goods with their delivery is a mixed sale taxed at the goods' rate; in India it is
a composite supply whose principal supply is the goods (CGST Act 2017, s. 8(a)), so it also takes
their place of supply: IGST when the principal goods cross a state border, else CGST + SGST.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from millet.core.errors import Unprocessable
from millet.regions.services import get_market
from millet.sales.pricing import line_tax


@dataclass(frozen=True)
class ShippingMethod:
    code: str  # what the checkout form sends and the order keeps, e.g. "express"
    label: Promise
    delivery_time: Promise  # as the buyer reads it, e.g. "2 to 4 working days"
    price: Decimal  # gross, in the market's currency


STANDARD, EXPRESS = _("Standard delivery"), _("Express delivery")

METHODS: dict[str, tuple[ShippingMethod, ...]] = {
    "CN": (
        ShippingMethod("standard", STANDARD, _("2 to 4 days"), Decimal("0.00")),
        ShippingMethod("express", EXPRESS, _("Next day"), Decimal("20.00")),
    ),
    "IN": (
        ShippingMethod("standard", STANDARD, _("3 to 6 days"), Decimal("49.00")),
        ShippingMethod("express", EXPRESS, _("1 to 2 days"), Decimal("149.00")),
    ),
    "DE": (
        ShippingMethod("standard", STANDARD, _("2 to 3 working days"), Decimal("4.99")),
        ShippingMethod("express", EXPRESS, _("Next working day"), Decimal("9.99")),
    ),
}


@dataclass(frozen=True)
class ShippingCharge:
    """What an order pays for its delivery: the method, its gross price and the tax inside it."""

    method: str
    price: Decimal
    tax: Decimal
    tax_components: dict[str, Decimal]


NO_SHIPPING = ShippingCharge("", Decimal("0.00"), Decimal("0.00"), {})  # as the order row stores it


def shipping_methods(market: str) -> tuple[ShippingMethod, ...]:
    """The market's shipping methods, cheapest first; raises NotFound ``unknown_market``."""
    get_market(market)
    return METHODS.get(market, ())


def shipping_charge(market: str, code: str, tax_class: str, *, inter_state: bool = False) -> ShippingCharge:
    """The charge for shipping method ``code`` in ``market``, taxed as the principal goods' ``tax_class``
    (and, in India, their ``inter_state``-ness), split by component (``regions.tax_breakdown``).
    Raises Unprocessable ``unknown_shipping_method`` (422)."""
    method = next((m for m in shipping_methods(market) if m.code == code), None)
    if method is None:
        raise Unprocessable(f"{market} has no shipping method {code!r}", code="unknown_shipping_method")
    currency = get_market(market).currency
    tax, components, _rates = line_tax(market, currency, tax_class, method.price, 1, 1 if inter_state else 0)
    return ShippingCharge(method.code, method.price, tax, components)
