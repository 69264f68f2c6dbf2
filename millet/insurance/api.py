"""HTTP routes for device protection; thin: parse, call a service, shape the answer.

Customers buy plans for their own units and see only their own policies and claims; staff and
claims handlers see all of them and decide claims. Amounts are decimal strings in the currency.
"""

# No `from __future__ import annotations`: django-ninja resolves Query[...] parameter types at import.

from ninja import Query, Router, Status
from ninja.pagination import paginate

from millet.core.openapi import ErrorOut
from millet.core.pagination import BoundedLimitOffset
from millet.insurance import services
from millet.insurance.schemas import (
    ClaimFilter,
    DecisionIn,
    InsuranceClaimIn,
    InsuranceClaimOut,
    PlanFilter,
    PlanIn,
    PlanOut,
    PolicyFilter,
    PolicyIn,
    PolicyOut,
)

router = Router(tags=["insurance"])


def _plan_out(plan, price) -> PlanOut:
    return PlanOut(
        code=plan.code,
        name=plan.name,
        sku=plan.sku_code,
        term_months=plan.term_months,
        perils=plan.perils,
        max_claims=plan.max_claims,
        purchase_window_days=plan.purchase_window_days,
        market=price.market_id,
        currency=price.currency,
        premium=price.premium,
        cover_limit=price.cover_limit,
        excess=price.excess,
    )


@router.get("/plans", response=list[PlanOut])
def list_plans(request, filters: Query[PlanFilter]):
    return [
        _plan_out(plan, price)
        for plan, price in services.list_plans(market=filters.market, sku_code=filters.sku)
    ]


@router.post("/plans", response={201: list[PlanOut]})
def create_plan(request, body: PlanIn):
    """Staff: a plan for one SKU and term, with its price in each market (answers one row per market)."""
    plan = services.create_plan(
        request.actor,
        code=body.code,
        name=body.name,
        sku_code=body.sku,
        term_months=body.term_months,
        perils=list(body.perils),
        prices=[services.PriceInput(p.market, p.premium, p.cover_limit, p.excess) for p in body.prices],
        max_claims=body.max_claims,
        purchase_window_days=body.purchase_window_days,
    )
    return Status(201, [_plan_out(plan, price) for price in plan.prices.select_related("plan")])


@router.post("/policies", response={201: PolicyOut, 402: ErrorOut})
def buy_policy(request, body: PolicyIn):
    terms = body.expected_terms
    policy = services.buy_policy(
        request.actor,
        body.order_number,
        body.serial,
        body.plan,
        payment_token=body.payment_token,
        expected=services.OfferedTerms(terms.premium, terms.cover_limit, terms.excess) if terms else None,
    )
    return Status(201, policy)


@router.get("/policies", response=list[PolicyOut])
@paginate(BoundedLimitOffset, max_limit=200)
def list_policies(request, filters: Query[PolicyFilter]):
    return services.list_policies(request.actor, serial=filters.serial, status=filters.status)


@router.get("/policies/{number}", response=PolicyOut)
def get_policy(request, number: str):
    return services.get_policy(request.actor, number)


@router.post("/policies/{number}/claims", response={201: InsuranceClaimOut})
def submit_claim(request, number: str, body: InsuranceClaimIn):
    claim = services.submit_claim(
        request.actor,
        number,
        peril=body.peril,
        incident_at=body.incident_at,
        amount=body.amount,
        description=body.description,
    )
    return Status(201, claim)


@router.get("/claims", response=list[InsuranceClaimOut])
@paginate(BoundedLimitOffset, max_limit=200)
def list_claims(request, filters: Query[ClaimFilter]):
    return services.list_claims(
        request.actor, status=filters.status, policy=filters.policy, evidence=filters.evidence
    )


@router.get("/claims/{number}", response=InsuranceClaimOut)
def get_claim(request, number: str):
    return services.get_claim(request.actor, number)


@router.post("/claims/{number}/decision", response=InsuranceClaimOut)
def decide_claim(request, number: str, body: DecisionIn):
    """Claims handlers: approve (the payout is reserved on the ledger) or reject with a reason."""
    return services.decide_claim(request.actor, number, approve=body.approve, reason=body.reason)


@router.post("/claims/{number}/payout", response=InsuranceClaimOut)
def pay_claim(request, number: str):
    return services.pay_claim(request.actor, number)
