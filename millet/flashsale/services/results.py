"""A campaign's results for the back office: claims by outcome, orders, units sold and unsold."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count

from millet.accounts.actor import Actor
from millet.flashsale.models import Claim, WaitlistEntry
from millet.flashsale.services import gate
from millet.flashsale.services.campaigns import get_campaign
from millet.flashsale.services.window import units_left

# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignResults:
    code: str
    units: int
    claims: int
    queued: int
    ordered: int
    paid: int
    expired: int
    rejected: int
    sold: int
    available: int
    waitlist: int
    sold_out_seconds: float | None
    closed: bool


def campaign_results(actor: Actor, code: str) -> CampaignResults:
    """Claims, paid, expired, sold and time to sell out; staff only (a rival must not see the pace)."""
    actor.require_staff()
    campaign = get_campaign(code)
    by_status = Counter(
        dict(
            Claim.objects.filter(campaign=campaign)
            .values("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
    )
    queued = by_status[Claim.Status.QUEUED]
    sold_out_at = campaign.sold_out_at
    if gate.redis_enabled():
        queued += gate.backlog(code)
        sold_out_at = gate.sold_out_at(code) or sold_out_at
    return CampaignResults(
        code=code,
        units=campaign.units,
        claims=sum(by_status.values()) + (queued - by_status[Claim.Status.QUEUED]),
        queued=queued,
        ordered=by_status[Claim.Status.ORDERED],
        paid=by_status[Claim.Status.PAID],
        expired=by_status[Claim.Status.EXPIRED],
        rejected=by_status[Claim.Status.REJECTED],
        sold=by_status[Claim.Status.PAID],
        available=units_left(campaign),
        waitlist=WaitlistEntry.objects.filter(campaign=campaign, status=WaitlistEntry.Status.WAITING).count(),
        sold_out_seconds=(sold_out_at - campaign.starts_at).total_seconds() if sold_out_at else None,
        closed=campaign.closed_at is not None,
    )
