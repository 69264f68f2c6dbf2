"""Order arithmetic: line totals, voucher discounts spread over lines, tax per line.

Pure functions over Decimals so the rules are easy to test exhaustively. Every split uses the
"largest remainder goes last" rule, so parts always add up to the whole to the cent.
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
        tax = tax_breakdown(market, line.tax_class, total)
        priced.append(
            PricedLine(
                line.sku_code, line.quantity, line.unit_price, line_discount, total, tax.tax, tax.components
            )
        )
    return PricedOrder(
        lines=priced,
        subtotal=subtotal,
        discount=discount,
        tax=sum((p.tax for p in priced), Decimal(0)),
        total=sum((p.total for p in priced), Decimal(0)),
    )


def share_of(amount: Decimal, done: int, now: int, of: int, currency: str) -> Decimal:
    """The part of ``amount`` due for units ``done+1 .. done+now`` out of ``of``.

    Computed as f(done+now) - f(done) with f(n) = round(amount * n / of), so returning every unit,
    in any number of steps, refunds exactly ``amount``.
    """

    def f(n: int) -> Decimal:
        return quantize(amount * n / of, currency)

    return f(done + now) - f(done)
