"""Protection plans: what a plan covers for one SKU and term, and its price in each market."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from millet.accounts.actor import Actor
from millet.catalog.services import sku_info
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.integrity import taken_or_raise
from millet.insurance.models import (
    Peril,
    PlanPrice,
    ProtectionPlan,
)
from millet.regions.money import parse_amount
from millet.regions.services import get_market

MAX_TERM_MONTHS = 60


@dataclass(frozen=True)
class PriceInput:
    market: str
    premium: Decimal | str
    cover_limit: Decimal | str
    excess: Decimal | str = "0"


# --- plans ---------------------------------------------------------------------------------------


def _perils(perils: object) -> list[str]:
    if not isinstance(perils, list | tuple) or not perils:
        raise Unprocessable("a plan covers at least one peril", code="invalid_perils")
    unknown = [p for p in perils if p not in Peril.values]
    if unknown:
        raise Unprocessable(
            f"unknown peril(s) {unknown}; known: {Peril.values}",
            code="invalid_perils",
            facts={"perils": ", ".join(map(str, unknown))},
        )
    return sorted(set(perils))


def check_plan(
    *,
    code: str,
    name: str,
    sku_code: str,
    term_months: int,
    perils: object,
    max_claims: int,
    purchase_window_days: int,
) -> tuple[int, list[str]]:
    """The rules a plan's own terms obey, wherever it is made or edited (``create_plan``, the back
    office): returns the SKU's id and the perils sorted without repeats. 422 ``invalid_plan``,
    ``invalid_perils`` or ``sku_not_serialized`` (a policy binds to a unit's serial number); 404
    ``unknown_sku``."""
    if not code or len(code) > 32 or not code.replace("-", "").isalnum():
        raise Unprocessable("plan code must be 1-32 letters, digits or '-'", code="invalid_plan")
    if not name or len(name) > 120:
        raise Unprocessable("plan name must be 1-120 characters", code="invalid_plan")
    for value, field, top in (
        (term_months, "term_months", MAX_TERM_MONTHS),
        (max_claims, "max_claims", 12),
        (purchase_window_days, "purchase_window_days", 365),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise Unprocessable(f"{field} must be a whole number from 1 to {top}", code="invalid_plan")
    checked_perils = _perils(perils)
    sku = sku_info([sku_code])[sku_code]  # 404 for an unknown SKU
    if not sku.serialized:
        raise Unprocessable(
            f"{sku_code} has no serial numbers to bind a policy to",
            code="sku_not_serialized",
            facts={"sku": sku_code},
        )
    return sku.id, checked_perils


def check_plan_price(
    market: str, premium: Decimal | str, cover_limit: Decimal | str, excess: Decimal | str
) -> tuple[str, Decimal, Decimal, Decimal]:
    """A plan's price in one market, in that market's currency: returns (currency, premium, cover
    limit, excess), each an exact amount in it. 422 ``malformed_money`` (not an amount of that
    currency, not positive, too large) or ``invalid_plan`` (the excess not below the cover); 404
    ``unknown_market``."""
    currency = get_market(market).currency
    premium = parse_amount(premium, currency)
    cover = parse_amount(cover_limit, currency)
    excess = parse_amount(excess, currency, allow_zero=True)
    if excess >= cover:
        raise Unprocessable("the excess must be below the cover limit", code="invalid_plan")
    return currency, premium, cover, excess


@transaction.atomic
def create_plan(
    actor: Actor,
    *,
    code: str,
    name: str,
    sku_code: str,
    term_months: int,
    perils: list[str],
    prices: list[PriceInput],
    max_claims: int = 2,
    purchase_window_days: int = 30,
) -> ProtectionPlan:
    """Staff define a plan for one SKU and term, priced per market in that market's currency
    (``check_plan``'s and ``check_plan_price``'s rules); 409 ``plan_exists``."""
    actor.require_staff()
    sku_id, checked_perils = check_plan(
        code=code,
        name=name,
        sku_code=sku_code,
        term_months=term_months,
        perils=perils,
        max_claims=max_claims,
        purchase_window_days=purchase_window_days,
    )
    if not prices:
        raise Unprocessable("a plan needs a price in at least one market", code="invalid_plan")
    if len({p.market for p in prices}) != len(prices):
        raise Unprocessable("one price per market", code="invalid_plan")
    taken, duplicate = (
        ProtectionPlan.objects.filter(code=code),
        Conflict(f"plan {code} exists", code="plan_exists"),
    )
    with taken_or_raise(taken, duplicate):  # a twin sent at once passed the check too: the code is unique
        plan = ProtectionPlan.objects.create(
            code=code,
            name=name,
            sku_id=sku_id,
            sku_code=sku_code,
            term_months=term_months,
            perils=checked_perils,
            max_claims=max_claims,
            purchase_window_days=purchase_window_days,
        )
    for price in prices:
        currency, premium, cover, excess = check_plan_price(
            price.market, price.premium, price.cover_limit, price.excess
        )
        PlanPrice.objects.create(
            plan=plan,
            market_id=price.market,
            currency=currency,
            premium=premium,
            cover_limit=cover,
            excess=excess,
        )
    return plan


def list_plans(*, market: str, sku_code: str = "") -> list[tuple[ProtectionPlan, PlanPrice]]:
    """Active plans sold in a market (optionally for one SKU), each with its price there."""
    get_market(market)  # 404 for an unknown market
    prices = PlanPrice.objects.filter(market_id=market, plan__is_active=True).select_related("plan")
    if sku_code:
        prices = prices.filter(plan__sku_code=sku_code)
    return [(price.plan, price) for price in prices.order_by("plan__code")]


def plan_price(plan_code: str, market: str) -> tuple[ProtectionPlan, PlanPrice]:
    plan = ProtectionPlan.objects.filter(code=plan_code, is_active=True).first()
    if plan is None:
        raise NotFound(f"no plan {plan_code!r}", code="unknown_plan")
    price = PlanPrice.objects.filter(plan=plan, market_id=market).first()
    if price is None:
        raise Conflict(f"plan {plan_code} is not sold in {market}", code="plan_not_sold_here")
    return plan, price
