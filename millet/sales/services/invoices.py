"""An order's invoice: the facts a tax invoice must show, gathered for the buyer (or staff).

India: a GST tax invoice (CGST Rules 2017, Rule 46): the supplier's name, address and GSTIN, a
serial number, the date, the buyer, the HSN code of each good (Rule 46(g); at least 4 digits, 6
above a turnover of 5 crore rupees: we print 8), quantity, value, discount, taxable value, the rate
and amount of CGST and SGST, or IGST, and the place of supply with the State's name (Rule 46(n)).
China: VAT per line. Germany: the seller's USt-IdNr. and VAT by rate (UStG s. 14(4)). Each rate is
the one applied at the sale, kept on its order line (EU VAT Directive 2006/112/EC art. 226(9)), not
the market's rule of the day the invoice is read.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.accounts.services import usernames
from millet.catalog.services import skus_by_id
from millet.core.errors import Conflict
from millet.regions.india import INDIAN_STATES
from millet.regions.money import quantize
from millet.regions.services import check_state, get_market
from millet.sales.models import Order, Seller, SellerVersion
from millet.sales.services.orders import get_order
from millet.sales.services.payments import order_payments

# HSN codes (8 digits, India's ITC-HS) per catalog category, from CBIC's GST rate schedule for goods
# (Notification 1/2017-Central Tax (Rate), Chapters 84, 85): a category's typical good.
HSN_BY_CATEGORY = {
    "phone": "85171300",  # smartphones
    "tv": "85287219",  # LED/LCD colour television sets
    "router": "85176290",  # machines for the reception and transmission of data
    "camera": "85258900",  # television cameras, digital cameras (incl. security cameras)
    "band": "85176290",  # wearables that transmit data (smart bands, watches)
    "laptop": "84713010",  # portable computers
    "speaker": "85182200",  # multiple loudspeakers in one enclosure
    "home": "85437099",  # electrical machines with individual functions, n.e.s.
    "accessory": "85044030",  # static converters: chargers, power adapters
}


@dataclass(frozen=True)
class SellerFacts:
    legal_name: str
    address: str
    tax_id: str  # GSTIN (India), USt-IdNr. (Germany), unified social credit code (China)
    state: str  # ISO 3166-2 of the registration, "" when not kept


@dataclass(frozen=True)
class InvoiceLine:
    """One order line as invoiced, in the order's currency: ``gross`` = ``taxable`` + sum(``tax``)."""

    description: str
    sku_code: str
    hsn: str
    quantity: int
    unit_price: Decimal  # as listed, tax included where the market quotes gross
    discount: Decimal
    taxable: Decimal
    tax: dict[str, Decimal]  # component -> amount, e.g. {"CGST": ..., "SGST": ...}
    rates: dict[str, Decimal]  # component -> rate applied at the sale, e.g. {"CGST": Decimal("0.09")}
    gross: Decimal


@dataclass(frozen=True)
class Invoice:
    number: str  # the order number: one invoice per order
    issued_at: datetime  # when the goods were supplied (else paid, else ordered)
    market: str
    currency: str
    seller: SellerFacts
    buyer: str
    place_of_supply: str  # India: "Maharashtra (27)"; "" elsewhere
    lines: list[InvoiceLine]
    tax_totals: dict[str, Decimal]
    taxable_total: Decimal
    total: Decimal
    refunded: Decimal
    payment_methods: tuple[str, ...]  # "card", "cash", "loan"


def check_seller(market: str, state: str) -> str:
    """The rules a market's seller obeys (the back office edits it): ``market`` is a known market
    (404 ``unknown_market``) and ``state`` one of its ISO 3166-2 states, or "" (422 ``unknown_state``),
    since an Indian store sale's place of supply is the seller's state. Returns the state."""
    get_market(market)
    return check_state(market, state)


# The first version of a market's seller reaches back to every sale before it was recorded.
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)


def seller_for(market: str, at: datetime | None = None) -> SellerFacts:
    """The market's seller as invoices name it, as it was at ``at`` (the version in force then,
    ``SellerVersion``; now without it); Conflict ``no_seller`` until the back office sets one."""
    version = SellerVersion.objects.filter(market=market, valid_from__lte=at or timezone.now())
    found = version.order_by("-valid_from").first() or Seller.objects.filter(market=market).first()
    if found is None:
        raise Conflict(f"no seller is registered for market {market}", code="no_seller")
    return _facts(found)


@transaction.atomic
def save_seller(seller: Seller) -> None:
    """Save a market's seller (the back office's form, checked by ``check_seller``) and keep the
    details it replaces for the invoices issued under them: a market's first version reaches back
    to ``BEGINNING`` (the details as they stood before any change was recorded), and details that
    differ from the latest version start a version from now."""
    before = Seller.objects.select_for_update().filter(market=seller.market).first()
    seller.save()
    latest = SellerVersion.objects.filter(market=seller.market).order_by("-valid_from").first()
    if latest is None:
        _version(before or seller, BEGINNING)
        latest = before or seller
    if _facts(latest) != _facts(seller):
        _version(seller, timezone.now())


def _facts(seller: Seller | SellerVersion) -> SellerFacts:
    return SellerFacts(seller.legal_name, seller.address, seller.tax_id, seller.state)


def _version(seller: Seller, valid_from: datetime) -> None:
    SellerVersion.objects.create(market=seller.market, valid_from=valid_from, **vars(_facts(seller)))


def state_label(iso_code: str) -> str:
    """An Indian state as a GST invoice names it, "Karnataka (29)" (name and GST state code); other
    subdivisions by their ISO 3166-2 name, accents folded (the invoice is in Latin script)."""
    import pycountry  # loaded on first use, as in regions.subdivisions

    found = pycountry.subdivisions.get(code=iso_code)
    name = unicodedata.normalize("NFKD", found.name).encode("ascii", "ignore").decode() if found else iso_code
    for state in INDIAN_STATES:
        if state.name == name:
            return f"{name} ({state.gst_code})"
    return name


def invoiceable(order: Order) -> bool:
    """Whether the order has an invoice: it was paid (or handed over) and not cancelled, so something
    was sold. A return does not take the invoice back: the refund shows on it."""
    return order.status != Order.Status.CANCELLED and (
        order.paid_at is not None or order.fulfilled_at is not None
    )


def issued_at(order: Order) -> datetime:
    """When an invoiceable order's invoice is dated: the goods' supply, else its payment."""
    return order.fulfilled_at or order.paid_at


def invoice_for(actor: Actor, number: str) -> Invoice:
    """The invoice of an order the actor may see (NotFound ``unknown_order`` otherwise, as for a
    number that does not exist); Conflict ``not_invoiced`` for an order never paid (nothing was
    sold) or cancelled before shipping) and ``no_seller`` when the market has no seller yet."""
    order = get_order(actor, number)
    if not invoiceable(order):
        raise Conflict("an order that was never paid, or was cancelled, has no invoice", code="not_invoiced")
    lines = list(order.lines.all())
    skus = skus_by_id(line.sku_id for line in lines)
    invoiced = []
    totals: dict[str, Decimal] = {}
    for line in lines:
        sku = skus[line.sku_id]
        tax = {k: Decimal(v) for k, v in sorted(line.tax_components.items())}
        # The rates applied at the sale, kept on the line with its amounts: the rule may have
        # changed since, and the invoice states the rate applied (2006/112/EC art. 226(9), Rule 46(m)).
        rates = {k: Decimal(v) for k, v in line.tax_rates.items()}
        for component, amount in tax.items():
            totals[component] = totals.get(component, Decimal(0)) + amount
        invoiced.append(
            InvoiceLine(
                description=sku.name or sku.product_name,
                sku_code=sku.code,
                hsn=HSN_BY_CATEGORY.get(sku.category, ""),
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                taxable=line.total - sum(tax.values(), Decimal(0)),
                tax=tax,
                rates={k: rates[k] for k in tax if k in rates},
                gross=line.total,
            )
        )
    return Invoice(
        number=order.number,
        issued_at=issued_at(order),
        market=order.market_id,
        currency=order.currency,
        seller=seller_for(order.market_id, issued_at(order)),
        buyer=usernames([order.customer_id]).get(order.customer_id, "") if order.customer_id else "",
        place_of_supply=_place_of_supply(order),
        lines=invoiced,
        tax_totals=totals,
        taxable_total=quantize(sum((line.taxable for line in invoiced), Decimal(0)), order.currency),
        total=order.total,
        refunded=order.refunded,
        payment_methods=tuple(dict.fromkeys(p.method for p in order_payments(actor, number))),
    )


def _place_of_supply(order: Order) -> str:
    """India only: the delivery state of a web order (IGST Act s. 10(1)(a)); an order handed over at
    a store is supplied where it is handed over (s. 10(1)(c)), the seller's own state here."""
    if order.market_id != "IN":
        return ""
    if order.shipping_state:
        return state_label(order.shipping_state)
    try:
        state = seller_for(order.market_id, issued_at(order)).state
    except Conflict:
        return ""
    return state_label(state) if state else ""
