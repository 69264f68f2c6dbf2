"""The flashsale domain's service API: campaigns, claims through the gate, the order writer, the
payment window and waitlist, results.

A claim's life: the gate accepts it (Redis stream entry, or a ``queued`` claim row without Redis) ->
the writer turns it into a FLASH order holding one of the campaign's units (``ordered``) -> the
buyer pays within the payment window (``paid``; the order is then fulfilled like any order), or the
window lapses and the unit goes back to the campaign, offered first to the waitlist (``expired``).
"""

from millet.flashsale.services.campaigns import (
    MAX_CUSTOMER_RATE,
    MAX_IP_RATE,
    MAX_PAYMENT_WINDOW,
    MAX_PER_CUSTOMER,
    MAX_UNITS,
    create_campaign,
    get_campaign,
    list_campaigns,
    open_gate,
)
from millet.flashsale.services.claims import (
    REFUSALS,
    ClaimView,
    RateLimited,
    claim_unit,
    claim_with_token,
    get_claim,
    my_claims,
    pay_claim,
)
from millet.flashsale.services.results import (
    CampaignOutcome,
    CampaignResults,
    campaign_outcomes,
    campaign_results,
)
from millet.flashsale.services.storefront import (
    ENDED,
    LIVE,
    QUEUE_CAP,
    SOLD_OUT,
    UPCOMING,
    Announcement,
    SaleView,
    announced_sales,
    claim_once,
    forget_announcements,
    market_sales,
    queue_place,
    sale_for,
    settle_claim,
)
from millet.flashsale.services.window import (
    close_ended_campaigns,
    expire_claims,
    join_waitlist,
    waitlist_position,
)
from millet.flashsale.services.writer import (
    write_claims,
)

__all__ = [
    "ENDED",
    "LIVE",
    "QUEUE_CAP",
    "SOLD_OUT",
    "UPCOMING",
    "Announcement",
    "ClaimView",
    "SaleView",
    "announced_sales",
    "claim_once",
    "forget_announcements",
    "market_sales",
    "queue_place",
    "sale_for",
    "settle_claim",
    "MAX_CUSTOMER_RATE",
    "MAX_IP_RATE",
    "MAX_PAYMENT_WINDOW",
    "MAX_PER_CUSTOMER",
    "MAX_UNITS",
    "REFUSALS",
    "RateLimited",
    "CampaignOutcome",
    "CampaignResults",
    "campaign_outcomes",
    "campaign_results",
    "claim_unit",
    "claim_with_token",
    "close_ended_campaigns",
    "create_campaign",
    "expire_claims",
    "get_campaign",
    "get_claim",
    "join_waitlist",
    "list_campaigns",
    "my_claims",
    "open_gate",
    "pay_claim",
    "waitlist_position",
    "write_claims",
]
