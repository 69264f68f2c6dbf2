"""Exact money: Decimal amounts quantized to the currency, integer minor units for the ledger.

No float ever touches an amount. Python's Decimal is exact and the standard; a money library
(py-moneyed/django-money) would add a second amount type beside the ledger's integers for no gain.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from millet.core.errors import Unprocessable
from millet.core.types import money_pattern

MAX_AMOUNT = Decimal("1000000000")  # no single price, order or transfer reaches a billion


@lru_cache(maxsize=64)
def currency_exponent(code: str) -> int:
    from millet.regions.models import Currency

    row = Currency.objects.filter(code=code).values_list("exponent", flat=True).first()
    if row is None:
        raise Unprocessable(f"unknown currency {code!r}", code="unknown_currency")
    return row


@lru_cache(maxsize=64)
def currency_symbol(code: str) -> str:
    """The currency's own symbol as the market writes it (¥, ₹, €), or "" when none is stored."""
    from millet.regions.models import Currency

    return Currency.objects.filter(code=code).values_list("symbol", flat=True).first() or ""


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit (the convention of VAT and GST invoices)."""
    return amount.quantize(Decimal(1).scaleb(-currency_exponent(currency)), rounding=ROUND_HALF_UP)


def to_minor(amount: Decimal, currency: str) -> int:
    """Exact conversion; refuses amounts with more precision than the currency has."""
    exponent = currency_exponent(currency)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        detail = f"{amount} has more than {exponent} decimals for {currency}"
        raise Unprocessable(detail, code="malformed_money")
    return int(minor)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-currency_exponent(currency))


def parse_amount(value: object, currency: str, *, allow_zero: bool = False) -> Decimal:
    """Turn client input into an exact, positive, in-range amount, or a precise 422."""
    if isinstance(value, float | bool):
        raise Unprocessable("money must be a decimal string, not a float", code="malformed_money")
    if isinstance(value, str) and not re.fullmatch(money_pattern(currency_exponent(currency)), value):
        # core.types.Money's rule: ASCII digits, the currency's places, no sign, exponent or spaces
        raise Unprocessable(f"{value!r} is not an amount in {currency}", code="malformed_money")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Unprocessable(f"{value!r} is not an amount", code="malformed_money") from None
    if not amount.is_finite():
        raise Unprocessable(f"{value!r} is not an amount", code="malformed_money")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise Unprocessable("amount must be positive", code="malformed_money")
    if amount >= MAX_AMOUNT:
        raise Unprocessable("amount is too large", code="malformed_money")
    to_minor(amount, currency)  # refuses sub-minor precision
    return quantize(amount, currency)


def parse_minor(value: object, currency: str, *, allow_zero: bool = False) -> int:
    """Client input straight to integer minor units (the ledger's form), or a precise 422."""
    return to_minor(parse_amount(value, currency, allow_zero=allow_zero), currency)
