"""HTTP routes for device protection; thin: parse, call a service, shape the answer.

Customers buy plans for their own units and see only their own policies and claims; staff and
claims handlers see all of them and decide claims. Amounts are decimal strings in the currency.
"""

# No `from __future__ import annotations`: django-ninja resolves Query[...] parameter types at import.
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from millet.insurance import services
from millet.insurance.models import Claim, EvidenceVerdict, Peril, Policy

router = Router(tags=["insurance"])

Money = Annotated[str, Field(min_length=1, max_length=32, description="decimal string, e.g. '99.00'")]
Code = Annotated[str, Field(min_length=1, max_length=32)]
Number = Annotated[str, Field(min_length=1, max_length=24)]


class PriceIn(Schema):
    market: Annotated[str, Field(min_length=2, max_length=2)]
    premium: Money
    cover_limit: Money
    excess: Money = "0"


class PlanIn(Schema):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=120)]
    sku: Code
    term_months: Annotated[int, Field(ge=1, le=services.MAX_TERM_MONTHS)]
    perils: Annotated[list[Literal[tuple(Peril.values)]], Field(min_length=1, max_length=len(Peril.values))]
    prices: Annotated[list[PriceIn], Field(min_length=1, max_length=20)]
    max_claims: Annotated[int, Field(ge=1, le=12)] = 2
    purchase_window_days: Annotated[int, Field(ge=1, le=365)] = 30


class PlanOut(Schema):
    code: str
    name: str
    sku: str
    term_months: int
    perils: list[str]
    max_claims: int
    purchase_window_days: int
    market: str
    currency: str
    premium: Decimal
    cover_limit: Decimal
    excess: Decimal


class PlanFilter(Schema):
    market: Annotated[str, Field(min_length=2, max_length=2)]
    sku: Annotated[str, Field(max_length=32)] = ""


class PolicyIn(Schema):
    order_number: Number
    serial: Code
    plan: Code
    payment_token: Annotated[str, Field(min_length=1, max_length=64)]


class PolicyOut(Schema):
    number: str
    plan: str
    order_number: str
    serial: str
    market: str
    currency: str
    premium: Decimal
    cover_limit: Decimal
    excess: Decimal
    paid_out: Decimal
    refunded: Decimal
    claims_used: int
    starts_at: datetime
    ends_at: datetime
    status: str

    @staticmethod
    def resolve_plan(policy: Policy) -> str:
        return policy.plan.code

    @staticmethod
    def resolve_market(policy: Policy) -> str:
        return policy.market_id


class PolicyFilter(Schema):
    serial: Annotated[str, Field(max_length=32)] = ""
    status: Literal["", *Policy.Status.values] = ""


class ClaimIn(Schema):
    peril: Literal[tuple(Peril.values)]
    incident_at: datetime
    amount: Money
    description: Annotated[str, Field(max_length=2000)] = ""


class ClaimOut(Schema):
    number: str
    policy: str
    peril: str
    incident_at: datetime
    description: str
    amount_claimed: Decimal
    payout: Decimal
    status: str
    evidence_verdict: str
    evidence: dict
    decision_reason: str
    created_at: datetime
    decided_at: datetime | None
    paid_at: datetime | None

    @staticmethod
    def resolve_policy(claim: Claim) -> str:
        return claim.policy.number


class ClaimFilter(Schema):
    status: Literal["", *Claim.Status.values] = ""
    policy: Annotated[str, Field(max_length=24)] = ""
    evidence: Literal["", *EvidenceVerdict.values] = ""


class DecisionIn(Schema):
    approve: bool
    reason: Annotated[str, Field(max_length=255)] = ""


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


@router.post("/policies", response={201: PolicyOut})
def buy_policy(request, body: PolicyIn):
    policy = services.buy_policy(
        request.actor, body.order_number, body.serial, body.plan, payment_token=body.payment_token
    )
    return Status(201, policy)


@router.get("/policies", response=list[PolicyOut])
@paginate(LimitOffsetPagination, max_limit=200)
def list_policies(request, filters: Query[PolicyFilter]):
    return services.list_policies(request.actor, serial=filters.serial, status=filters.status)


@router.get("/policies/{number}", response=PolicyOut)
def get_policy(request, number: str):
    return services.get_policy(request.actor, number)


@router.post("/policies/{number}/claims", response={201: ClaimOut})
def submit_claim(request, number: str, body: ClaimIn):
    claim = services.submit_claim(
        request.actor,
        number,
        peril=body.peril,
        incident_at=body.incident_at,
        amount=body.amount,
        description=body.description,
    )
    return Status(201, claim)


@router.get("/claims", response=list[ClaimOut])
@paginate(LimitOffsetPagination, max_limit=200)
def list_claims(request, filters: Query[ClaimFilter]):
    return services.list_claims(
        request.actor, status=filters.status, policy=filters.policy, evidence=filters.evidence
    )


@router.get("/claims/{number}", response=ClaimOut)
def get_claim(request, number: str):
    return services.get_claim(request.actor, number)


@router.post("/claims/{number}/decision", response=ClaimOut)
def decide_claim(request, number: str, body: DecisionIn):
    """Claims handlers: approve (the payout is reserved on the ledger) or reject with a reason."""
    return services.decide_claim(request.actor, number, approve=body.approve, reason=body.reason)


@router.post("/claims/{number}/payout", response=ClaimOut)
def pay_claim(request, number: str):
    return services.pay_claim(request.actor, number)
