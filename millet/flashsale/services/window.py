"""The payment window, the waitlist and closing: lapsed claims give their unit back to the campaign,
offered first to the waitlist; ended campaigns put unsold units back on the shelf."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from millet.accounts.actor import SYSTEM, Actor
from millet.core.errors import Conflict, Forbidden, NotFound
from millet.flashsale.models import Campaign, Claim, CustomerTally, GateCounter, WaitlistEntry
from millet.flashsale.services import gate
from millet.flashsale.services.campaigns import get_campaign, offer_of
from millet.flashsale.services.claims import new_queued_claim
from millet.flashsale.services.writer import lock_campaign
from millet.sales import services as sales

# --- payment window, waitlist, closing -----------------------------------------------------------


def expire_claims(now: datetime | None = None, *, limit: int = 500) -> int:
    """Claims whose payment window closed: cancel the order, give the unit back (waitlist first).

    Each claim settles in its own transaction under its row lock, so the buyer paying at the same
    moment either wins (paid) or finds the window closed, never both. Paying through the sales API
    directly is honoured: such a claim is marked paid here.
    """
    now = now or timezone.now()
    ids = list(
        Claim.objects.filter(status=Claim.Status.ORDERED, expires_at__lte=now)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for claim_id in ids:
        expired += expire_one(claim_id, now)
    return expired


@transaction.atomic
def expire_one(claim_id: int, now: datetime) -> int:
    claim = (
        Claim.objects.select_for_update(skip_locked=True)
        .select_related("campaign")
        .filter(pk=claim_id, status=Claim.Status.ORDERED)
        .first()
    )
    if claim is None:
        return 0
    campaign = claim.campaign
    lock_campaign(campaign)
    status, back = sales.expire_flash_order(SYSTEM, claim.order_number, offer_of(campaign))
    if status != "cancelled":  # paid (or beyond) through the sales API: the claim is sold
        Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.PAID, settled_at=now)
        return 0
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.EXPIRED, settled_at=now)
    if back:
        _give_back(campaign, claim, now)
    return 1


def _give_back(campaign: Campaign, claim: Claim, now: datetime) -> None:
    """The unit goes to the first waitlisted customer still under the limit, else to the pool."""
    entry = (
        WaitlistEntry.objects.select_for_update(skip_locked=True)
        .filter(campaign=campaign, status=WaitlistEntry.Status.WAITING)
        .order_by("joined_at", "pk")
        .first()
        if now < campaign.ends_at
        else None
    )
    if gate.redis_enabled():
        decision = gate.give_back(
            campaign.code, claim.gate_id, claim.customer_id, entry and entry.customer_id
        )
        if entry is not None:
            offered = decision.outcome == "granted"
            WaitlistEntry.objects.filter(pk=entry.pk).update(
                status=WaitlistEntry.Status.OFFERED if offered else WaitlistEntry.Status.SKIPPED,
                claim_gate_id=decision.gate_id,
            )
        return
    CustomerTally.objects.filter(campaign=campaign, customer_id=claim.customer_id).update(
        taken=F("taken") - 1
    )
    if entry is not None:
        CustomerTally.objects.get_or_create(campaign=campaign, customer_id=entry.customer_id)
        if CustomerTally.objects.filter(
            campaign=campaign, customer_id=entry.customer_id, taken__lt=campaign.per_customer_limit
        ).update(taken=F("taken") + 1):
            offered = new_queued_claim(campaign, entry.customer_id, now)
            WaitlistEntry.objects.filter(pk=entry.pk).update(
                status=WaitlistEntry.Status.OFFERED, claim_gate_id=offered.gate_id
            )
            return
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.SKIPPED)
    GateCounter.objects.filter(campaign=campaign).update(remaining=F("remaining") + 1)


def units_left(campaign: Campaign) -> int:
    if gate.redis_enabled():
        left = gate.pool(campaign.code)
        if left is not None:
            return left
    return GateCounter.objects.filter(campaign=campaign).values_list("remaining", flat=True).first() or 0


def join_waitlist(actor: Actor, code: str) -> WaitlistEntry:
    """Only a sold-out sale has a waitlist; joining twice is harmless."""
    if actor.user_id is None:
        raise Forbidden("sign in to join the waitlist")
    campaign = get_campaign(code)
    now = timezone.now()
    if now < campaign.starts_at or now >= campaign.ends_at:
        raise Conflict("the sale is not running", code="not_running")
    if units_left(campaign) > 0:
        raise Conflict("units are still available; claim one", code="not_sold_out")
    entry, _ = WaitlistEntry.objects.get_or_create(campaign=campaign, customer_id=actor.user_id)
    return entry


def waitlist_position(actor: Actor, code: str) -> tuple[str, int]:
    """(status, how many wait ahead) for the caller's waitlist entry."""
    campaign = get_campaign(code)
    entry = WaitlistEntry.objects.filter(campaign=campaign, customer_id=actor.user_id).first()
    if entry is None:
        raise NotFound("not on the waitlist", code="not_waitlisted")
    ahead = WaitlistEntry.objects.filter(
        Q(joined_at__lt=entry.joined_at) | Q(joined_at=entry.joined_at, pk__lt=entry.pk),
        campaign=campaign,
        status=WaitlistEntry.Status.WAITING,
    ).count()
    return entry.status, ahead


def close_ended_campaigns(now: datetime | None = None) -> int:
    """After the end, once every claim is written and settled, unsold units go back on the shelf; the
    Redis gate's sell-out stamp is kept on the campaign row (its record once the sale is closed)."""
    now = now or timezone.now()
    closed = 0
    for campaign in Campaign.objects.filter(ends_at__lte=now, closed_at__isnull=True):
        if gate.redis_enabled() and gate.backlog(campaign.code):
            continue
        if Claim.objects.filter(
            campaign=campaign, status__in=(Claim.Status.QUEUED, Claim.Status.ORDERED)
        ).exists():
            continue
        with transaction.atomic():
            lock_campaign(campaign)
            sold_out_at = gate.sold_out_at(campaign.code) if gate.redis_enabled() else None
            stamps = {"closed_at": now} | ({"sold_out_at": sold_out_at} if sold_out_at else {})
            if Campaign.objects.filter(pk=campaign.pk, closed_at__isnull=True).update(**stamps):
                sales.release_campaign_units(SYSTEM, offer_of(campaign))
                closed += 1
    return closed
