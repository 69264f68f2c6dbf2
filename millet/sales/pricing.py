"""Order arithmetic: line totals, voucher discounts spread over lines, tax per line.

Pure functions over Decimals so the rules are easy to test exhaustively. Splits of our own choosing
(a voucher over lines, a line over its shipments) give the rounding remainder to the last part, so
the parts always add up to the whole to the cent. Tax components are not ours to split: the law
fixes each one's rate, and ``regions.tax_breakdown`` computes and rounds each on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from millet.regions.money import quantize
from millet.regions.services import tax_breakdown


@dataclass(frozen=True)
class LineInput:
    sku_code: str
    quantity: int
    unit_price: Decimal
    tax_class: str


@dataclass
class PricedLine:
    sku_code: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    total: Decimal
    tax: Decimal
    tax_components: dict[str, Decimal] = field(default_factory=dict)
    tax_rates: dict[str, Decimal] = field(default_factory=dict)  # component -> rate applied


@dataclass
class PricedOrder:
    lines: list[PricedLine]
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def spread(amount: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights``; the last share takes the rounding remainder."""
    total_weight = sum(weights)
    if not weights or total_weight == 0:
        return [Decimal(0)] * len(weights)
    shares, given = [], Decimal(0)
    for i, weight in enumerate(weights):
        share = (
            amount - given if i == len(weights) - 1 else quantize(amount * weight / total_weight, currency)
        )
        shares.append(share)
        given += share
    return shares


def price_order(market: str, currency: str, lines: Sequence[LineInput], discount: Decimal) -> PricedOrder:
    gross = [quantize(line.unit_price * line.quantity, currency) for line in lines]
    subtotal = sum(gross, Decimal(0))
    discount = quantize(min(discount, subtotal), currency)
    discounts = spread(discount, gross, currency)
    priced = []
    for line, line_gross, line_discount in zip(lines, gross, discounts, strict=True):
        total = line_gross - line_discount
        tax, components, rates = line_tax(market, currency, line.tax_class, total, line.quantity)
        priced.append(
            PricedLine(
                line.sku_code, line.quantity, line.unit_price, line_discount, total, tax, components, rates
            )
        )
    return PricedOrder(
        lines=priced,
        subtotal=subtotal,
        discount=discount,
        tax=sum((p.tax for p in priced), Decimal(0)),
        total=sum((p.total for p in priced), Decimal(0)),
    )


def line_tax(
    market: str, currency: str, tax_class: str, total: Decimal, quantity: int, inter_state_units: int = 0
) -> tuple[Decimal, dict[str, Decimal], dict[str, Decimal]]:
    """The tax in a line's gross ``total``, its components and each component's rate, when
    ``inter_state_units`` of its ``quantity`` units are supplied from another state than the place
    of supply (India: IGST on those, CGST + SGST on the rest).

    The rates are the ones the amounts were computed at (``TaxBreakdown.rates``, no lookup of their
    own): an order line keeps them, since its invoice must state the rate applied to the sale (EU
    VAT Directive 2006/112/EC art. 226(9); CGST Rules 2017, Rule 46(m)) however the rule changes.

    A line supplied from one side is taxed whole. A line supplied from both is two supplies: the
    total is spread over them by units (remainder last, as for a voucher) and each is taxed on its
    own, so CGST still equals SGST and every component sums exactly.
    """
    if not 0 <= inter_state_units <= quantity:
        raise ValueError(f"{inter_state_units} inter-state units of a line of {quantity}")
    parts = [(False, quantity - inter_state_units), (True, inter_state_units)]
    parts = [(inter, units) for inter, units in parts if units]
    amounts = spread(total, [Decimal(units) for _, units in parts], currency) if len(parts) > 1 else [total]
    components: dict[str, Decimal] = {}
    rates: dict[str, Decimal] = {}
    for (inter, _), amount in zip(parts, amounts, strict=True):
        breakdown = tax_breakdown(market, tax_class, amount, inter_state=inter)
        for name, value in breakdown.components.items():
            components[name] = components.get(name, Decimal(0)) + value
            rates[name] = breakdown.rates[name]
    return sum(components.values(), Decimal(0)), components, rates


def share_of(amount: Decimal, done: int, now: int, of: int, currency: str) -> Decimal:
    """The part of ``amount`` due for units ``done+1 .. done+now`` out of ``of``.

    Computed as f(done+now) - f(done) with f(n) = round(amount * n / of), so returning every unit,
    in any number of steps, refunds exactly ``amount``.
    """

    def f(n: int) -> Decimal:
        return quantize(amount * n / of, currency)

    return f(done + now) - f(done)
