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
        raise Unprocessable(f"unknown currency {code!r}", code="unknown_currency", facts={"currency": code})
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
        raise _malformed(detail, currency)
    return int(minor)


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-currency_exponent(currency))


def _malformed(detail: str, currency: str) -> Unprocessable:
    """422 ``malformed_money``, with the currency and its decimal places as facts: a form says
    which amounts it takes in the person's language, where the detail says it in English."""
    facts = {"currency": currency, "places": currency_exponent(currency)}
    return Unprocessable(detail, code="malformed_money", facts=facts)


def parse_amount(value: object, currency: str, *, allow_zero: bool = False) -> Decimal:
    """Turn client input into an exact, positive, in-range amount, or a precise 422."""
    if isinstance(value, float | bool):
        raise _malformed("money must be a decimal string, not a float", currency)
    if isinstance(value, str) and not re.fullmatch(money_pattern(currency_exponent(currency)), value):
        # core.types.Money's rule: ASCII digits, the currency's places, no sign, exponent or spaces
        raise _malformed(f"{value!r} is not an amount in {currency}", currency)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _malformed(f"{value!r} is not an amount", currency) from None
    if not amount.is_finite():
        raise _malformed(f"{value!r} is not an amount", currency)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise _malformed("amount must be positive", currency)
    if amount >= MAX_AMOUNT:
        raise _malformed("amount is too large", currency)
    to_minor(amount, currency)  # refuses sub-minor precision
    return quantize(amount, currency)


def parse_minor(value: object, currency: str, *, allow_zero: bool = False) -> int:
    """Client input straight to integer minor units (the ledger's form), or a precise 422."""
    return to_minor(parse_amount(value, currency, allow_zero=allow_zero), currency)
