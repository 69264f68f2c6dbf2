"""The insurance API's request and response types (names unique across the whole API)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema

from millet.core.types import IsoDateTime, Money, PaymentToken, WholeNumber
from millet.insurance import services
from millet.insurance.models import Claim, EvidenceVerdict, Peril, Policy

Code = Annotated[str, Field(min_length=1, max_length=32)]


Number = Annotated[str, Field(min_length=1, max_length=24)]


class PlanPriceIn(Schema):
    market: Annotated[str, Field(min_length=2, max_length=2)]
    premium: Money
    cover_limit: Money
    excess: Money = "0"


class PlanIn(Schema):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=120)]
    sku: Code
    term_months: Annotated[WholeNumber, Field(ge=1, le=services.MAX_TERM_MONTHS)]
    perils: Annotated[list[Literal[tuple(Peril.values)]], Field(min_length=1, max_length=len(Peril.values))]
    prices: Annotated[list[PlanPriceIn], Field(min_length=1, max_length=20)]
    max_claims: Annotated[WholeNumber, Field(ge=1, le=12)] = 2
    purchase_window_days: Annotated[WholeNumber, Field(ge=1, le=365)] = 30


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


class OfferedTermsIn(Schema):
    """A plan's price terms as the buyer was shown them, in the market's currency."""

    premium: Money
    cover_limit: Money
    excess: Money


class PolicyIn(Schema):
    order_number: Number
    serial: Code
    plan: Code
    payment_token: PaymentToken
    expected_terms: OfferedTermsIn | None = Field(
        None,
        description="The premium, cover and excess the buyer was shown: the plan offered on other terms "
        "now is 409 terms_changed, and nothing is charged. Omitted: the policy is bought at today's terms.",
    )


class PolicyOut(Schema):
    """A policy with the terms it was sold with: its plan may offer other terms since."""

    number: str
    plan: str
    order_number: str
    serial: str
    market: str
    currency: str
    premium: Decimal
    cover_limit: Decimal
    excess: Decimal
    perils: list[str]
    max_claims: int = Field(description="Claims allowed over the term")
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


class InsuranceClaimIn(Schema):
    peril: Literal[tuple(Peril.values)]
    incident_at: IsoDateTime
    amount: Money
    description: Annotated[str, Field(max_length=2000)] = ""


class InsuranceClaimOut(Schema):
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
