"""Loan products: the installment plans a market offers (rate, terms, amounts, fees)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.lending.models import (
    LoanProduct,
)
from millet.regions.money import currency_exponent, parse_amount

MAX_TERM_MONTHS = 60


# --- products ------------------------------------------------------------------------------------


def create_product(
    actor: Actor,
    *,
    code: str,
    name: str,
    currency: str,
    apr: Decimal,
    terms: Sequence[int],
    late_fee: Decimal,
    min_amount: Decimal,
    max_amount: Decimal,
    grace_days: int = 5,
    charge_off_days: int = 180,
) -> LoanProduct:
    actor.require_staff()
    currency_exponent(currency)  # unknown currency: 422
    if not isinstance(apr, Decimal) or not apr.is_finite() or not Decimal(0) <= apr <= Decimal("0.36"):
        raise Unprocessable("apr must be a decimal between 0 and 0.36", code="invalid_apr")
    if not terms or any(type(t) is not int or not 1 <= t <= MAX_TERM_MONTHS for t in terms):
        raise Unprocessable(f"terms must be months between 1 and {MAX_TERM_MONTHS}", code="invalid_terms")
    low, high = parse_amount(min_amount, currency), parse_amount(max_amount, currency)
    if high < low:
        raise Unprocessable("max_amount is below min_amount", code="invalid_amount_range")
    try:
        with transaction.atomic():
            return LoanProduct.objects.create(
                code=code,
                name=name,
                currency=currency,
                apr=apr,
                terms=sorted(set(terms)),
                late_fee=parse_amount(late_fee, currency, allow_zero=True),
                min_amount=low,
                max_amount=high,
                grace_days=grace_days,
                charge_off_days=charge_off_days,
            )
    except IntegrityError:
        raise Conflict(f"product {code} exists", code="product_exists") from None


def get_product(code: str) -> LoanProduct:
    product = LoanProduct.objects.filter(code=code, is_active=True).first()
    if product is None:
        raise NotFound(f"no loan product {code!r}", code="unknown_product")
    return product


def list_products(*, currency: str = "") -> QuerySet[LoanProduct]:
    products = LoanProduct.objects.filter(is_active=True).order_by("code")
    return products.filter(currency=currency) if currency else products
