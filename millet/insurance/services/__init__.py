"""The insurance domain's service API. Device protection: sell a plan with a device, take claims,
decide them, pay them out.

Ledger flow, in the policy's currency and market:
- sale:     the premium is charged through payments, gateway -> customer funds -> premium income
- approve:  claims expense -> claims reserve (the obligation is recognised when it is decided)
- payout:   claims reserve -> gateway (the money leaves); the reserve's balance limit refuses
            paying out more than was approved

Every decision locks the policy row first, so two handlers deciding claims on one policy queue
and the cover can never be paid twice. Customers see only their own policies and claims (anything
else is 404, so numbers cannot be probed); staff and the "claims_handler" group decide and pay.
"""

from __future__ import annotations

from millet.insurance.services.claims import (
    breakdown_claim_serials,
    decide_claim,
    get_claim,
    list_claims,
    pay_claim,
    submit_claim,
)
from millet.insurance.services.evidence import (
    EVENT_WINDOW_AFTER,
    EVENT_WINDOW_BEFORE,
    PERIL_EVENT_WORDS,
    THEFT_GRACE,
    device_evidence,
)
from millet.insurance.services.plans import (
    MAX_TERM_MONTHS,
    PriceInput,
    check_plan,
    check_plan_price,
    create_plan,
    list_plans,
)
from millet.insurance.services.policies import (
    SOLD_STATUSES,
    OfferedTerms,
    buy_policy,
    cancel_policies_for_returned_units,
    expire_policies,
    get_own_policy,
    get_policy,
    list_policies,
    on_units_returned,
    protection_offers,
)

__all__ = [
    "OfferedTerms",
    "EVENT_WINDOW_AFTER",
    "EVENT_WINDOW_BEFORE",
    "MAX_TERM_MONTHS",
    "PERIL_EVENT_WORDS",
    "PriceInput",
    "SOLD_STATUSES",
    "THEFT_GRACE",
    "breakdown_claim_serials",
    "buy_policy",
    "cancel_policies_for_returned_units",
    "check_plan",
    "check_plan_price",
    "create_plan",
    "decide_claim",
    "device_evidence",
    "expire_policies",
    "get_claim",
    "get_own_policy",
    "get_policy",
    "list_claims",
    "list_plans",
    "list_policies",
    "on_units_returned",
    "pay_claim",
    "protection_offers",
    "submit_claim",
]
