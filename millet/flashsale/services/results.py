"""A campaign's results for the back office (claims by outcome, orders, units sold and unsold), and
every campaign's outcome for reporting (units won, paid, time to sell out)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Q

from millet.accounts.actor import Actor
from millet.flashsale.models import Campaign, Claim, WaitlistEntry
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


def sold_out_time(campaign: Campaign) -> datetime | None:
    """When the campaign's pool first ran dry: the Redis gate's stamp while the sale is open there,
    the campaign row's once closed (``close_ended_campaigns`` copies it) or with the database gate."""
    if campaign.closed_at is None and gate.redis_enabled():
        return gate.sold_out_at(campaign.code) or campaign.sold_out_at
    return campaign.sold_out_at


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
    sold_out_at = sold_out_time(campaign)
    if gate.redis_enabled():
        queued += gate.backlog(code)
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


@dataclass(frozen=True)
class CampaignOutcome:
    """A campaign's outcome for reporting: ``won`` units the gate gave (claims written, but those
    rejected for want of a unit; an unpaid claim's unit given again is won again), ``paid`` claims
    paid, and ``sold_out_ms``, milliseconds from the start to the pool's first running dry (None
    while it has not). Final once ``closed``: every claim is then written and settled."""

    code: str
    market: str
    started_on: date  # the UTC day the sale started
    won: int
    paid: int
    sold_out_ms: int | None
    closed: bool


def _day_span(day: date) -> Q:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return Q(starts_at__gte=start, starts_at__lt=start + timedelta(days=1))


def campaign_outcomes(*, changed_since: datetime | None = None) -> list[CampaignOutcome]:
    """The outcome of every campaign that started on a UTC day when some campaign is still open, or
    was created or closed at or after ``changed_since`` (every campaign when None), by start.

    Whole days, so a reader that keeps per-day totals replaces them; no access check (reporting
    reads it and checks its own readers). Two queries, and one Redis read per open campaign."""
    campaigns = Campaign.objects.order_by("starts_at", "pk")
    if changed_since is not None:
        changed = Campaign.objects.filter(
            Q(closed_at__isnull=True) | Q(closed_at__gte=changed_since) | Q(created_at__gte=changed_since)
        ).values_list("starts_at", flat=True)
        days = {started.astimezone(UTC).date() for started in changed}
        if not days:
            return []
        wanted = Q()
        for day in days:
            wanted |= _day_span(day)
        campaigns = campaigns.filter(wanted)
    campaigns = list(campaigns)
    counts: dict[int, Counter] = defaultdict(Counter)
    for campaign_id, status, n in (
        Claim.objects.filter(campaign_id__in=[c.pk for c in campaigns])
        .values_list("campaign_id", "status")
        .annotate(n=Count("pk"))
    ):
        counts[campaign_id][status] = n
    outcomes = []
    for c in campaigns:
        by_status, sold_out_at = counts[c.pk], sold_out_time(c)
        outcomes.append(
            CampaignOutcome(
                code=c.code,
                market=c.market_id,
                started_on=c.starts_at.astimezone(UTC).date(),
                won=sum(by_status.values()) - by_status[Claim.Status.REJECTED],
                paid=by_status[Claim.Status.PAID],
                sold_out_ms=None
                if sold_out_at is None
                else (sold_out_at - c.starts_at) // timedelta(milliseconds=1),
                closed=c.closed_at is not None,
            )
        )
    return outcomes
