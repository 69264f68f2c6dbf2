"""Loan products: the installment plans a market offers (rate, terms, amounts, fees)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db.models import QuerySet

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.integrity import taken_or_raise
from millet.lending.models import (
    LoanProduct,
)
from millet.regions.money import currency_exponent, parse_amount

MAX_TERM_MONTHS = 60


# --- products ------------------------------------------------------------------------------------


MAX_APR = Decimal("0.36")
GRACE_DAYS = (0, 60)
CHARGE_OFF_DAYS = (30, 720)


def check_product(
    *,
    currency: str,
    apr: Decimal,
    terms: Sequence[int],
    late_fee: Decimal,
    min_amount: Decimal,
    max_amount: Decimal,
    grace_days: int,
    charge_off_days: int,
) -> tuple[list[int], Decimal, Decimal, Decimal]:
    """The rules every product obeys, however it is made or edited (the API, the back office):
    returns the terms (sorted, once each) and the late fee and amounts (quantized), or raises
    Unprocessable ``unknown_currency``, ``invalid_apr`` (0 to 0.36), ``invalid_terms`` (whole
    months 1 to 60), ``malformed_money`` (a negative fee, an amount not positive or with more
    decimals than the currency), ``invalid_amount_range``, ``invalid_grace_days`` (0 to 60) or
    ``invalid_charge_off_days`` (30 to 720)."""
    currency_exponent(currency)  # unknown currency: 422
    if not isinstance(apr, Decimal) or not apr.is_finite() or not Decimal(0) <= apr <= MAX_APR:
        raise Unprocessable(
            f"apr must be a decimal between 0 and {MAX_APR}", code="invalid_apr", facts={"most": MAX_APR}
        )
    if (
        not isinstance(terms, list | tuple)
        or not terms
        or any(type(t) is not int or not 1 <= t <= MAX_TERM_MONTHS for t in terms)
    ):
        raise Unprocessable(
            f"terms must be months between 1 and {MAX_TERM_MONTHS}",
            code="invalid_terms",
            facts={"most": MAX_TERM_MONTHS},
        )
    low, high = parse_amount(min_amount, currency), parse_amount(max_amount, currency)
    if high < low:
        raise Unprocessable("max_amount is below min_amount", code="invalid_amount_range")
    fee = parse_amount(late_fee, currency, allow_zero=True)
    for name, value, (least, most) in (
        ("grace_days", grace_days, GRACE_DAYS),
        ("charge_off_days", charge_off_days, CHARGE_OFF_DAYS),
    ):
        if type(value) is not int or not least <= value <= most:
            raise Unprocessable(
                f"{name} must be from {least} to {most}",
                code=f"invalid_{name}",
                facts={"least": least, "most": most},
            )
    return sorted(set(terms)), fee, low, high


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
    """Staff only (Forbidden); refusals as ``check_product``'s, Conflict ``product_exists``."""
    actor.require_staff()
    terms, fee, low, high = check_product(
        currency=currency,
        apr=apr,
        terms=terms,
        late_fee=late_fee,
        min_amount=min_amount,
        max_amount=max_amount,
        grace_days=grace_days,
        charge_off_days=charge_off_days,
    )
    with taken_or_raise(
        LoanProduct.objects.filter(code=code), Conflict(f"product {code} exists", code="product_exists")
    ):
        return LoanProduct.objects.create(
            code=code,
            name=name,
            currency=currency,
            apr=apr,
            terms=terms,
            late_fee=fee,
            min_amount=low,
            max_amount=high,
            grace_days=grace_days,
            charge_off_days=charge_off_days,
        )


def get_product(code: str) -> LoanProduct:
    product = LoanProduct.objects.filter(code=code, is_active=True).first()
    if product is None:
        raise NotFound(f"no loan product {code!r}", code="unknown_product")
    return product


def list_products(*, currency: str = "") -> QuerySet[LoanProduct]:
    products = LoanProduct.objects.filter(is_active=True).order_by("code")
    return products.filter(currency=currency) if currency else products
