"""Flash-sale services: campaigns, claims through the gate, the order writer, expiry, waitlist, results.

A claim's life: the gate accepts it (Redis stream entry, or a ``queued`` claim row without Redis) ->
the writer turns it into a FLASH order holding one of the campaign's units (``ordered``) -> the
buyer pays within the payment window (``paid``; the order is then fulfilled like any order), or the
window lapses and the unit goes back to the campaign, offered first to the waitlist (``expired``).
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from millet.accounts.actor import SYSTEM, Actor
from millet.catalog.services import sku_offers
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.flashsale import deadletters, gate
from millet.flashsale.models import Campaign, Claim, CustomerTally, GateCounter, WaitlistEntry
from millet.inventory.services import get_location
from millet.regions.services import get_market
from millet.sales import services as sales

log = logging.getLogger(__name__)

MAX_UNITS = 1_000_000
LIVE = (Claim.Status.QUEUED, Claim.Status.ORDERED, Claim.Status.PAID)


class RateLimited(Conflict):
    status_code = 429
    code = "rate_limited"


REFUSALS = {
    "not_started": (Conflict, "the sale has not started"),
    "ended": (Conflict, "the sale has ended"),
    "limit": (Conflict, "you have reached this sale's limit"),
    "sold_out": (Conflict, "sold out; join the waitlist to be offered returned units"),
    "rate_limited": (RateLimited, "too many requests, slow down"),
}


def _offer(campaign: Campaign) -> sales.FlashOffer:
    return sales.FlashOffer(
        market=campaign.market_id,
        sku_code=campaign.sku.code,
        unit_price=campaign.price,
        location_id=campaign.location_id,
        hold_reference=campaign.hold_reference,
    )


def get_campaign(code: str) -> Campaign:
    campaign = Campaign.objects.select_related("sku").filter(code=code).first()
    if campaign is None:
        raise NotFound(f"no campaign {code}", code="unknown_campaign")
    return campaign


def list_campaigns(*, open_only: bool = False) -> list[Campaign]:
    qs = Campaign.objects.select_related("sku").order_by("-starts_at", "pk")
    if open_only:
        qs = qs.filter(ends_at__gt=timezone.now())
    return list(qs)


# --- campaigns -----------------------------------------------------------------------------------


def create_campaign(
    actor: Actor,
    *,
    code: str,
    name: str,
    sku_code: str,
    market: str,
    location_code: str,
    price: Decimal,
    units: int,
    starts_at: datetime,
    ends_at: datetime,
    per_customer_limit: int = 1,
    payment_window_seconds: int = 900,
    customer_rate_per_second: int = 5,
    ip_rate_per_second: int = 200,
) -> Campaign:
    """Set the units aside in inventory (they leave the shelf now) and open the gate for them."""
    actor.require_staff()
    if not 0 < units <= MAX_UNITS:
        raise Unprocessable(f"units must be from 1 to {MAX_UNITS}", code="invalid_units")
    if ends_at <= starts_at:
        raise Unprocessable("the sale must end after it starts", code="invalid_window")
    if price <= 0:
        raise Unprocessable("the price must be positive", code="invalid_price")
    if per_customer_limit < 1 or payment_window_seconds < 1:
        raise Unprocessable("limit and payment window must be positive", code="invalid_campaign")
    get_market(market)
    offers = sku_offers([sku_code], market)  # 404 unknown SKU, 409 not sold in the market
    location = get_location(location_code)
    if location.market_id != market:
        raise Unprocessable("the location is in another market", code="location_wrong_market")
    if Campaign.objects.filter(code=code).exists():
        raise Conflict(f"campaign {code} exists", code="campaign_exists")
    with transaction.atomic():
        campaign = Campaign.objects.create(
            code=code,
            name=name,
            sku_id=offers[sku_code][0].id,
            market_id=market,
            location=location,
            price=price,
            units=units,
            per_customer_limit=per_customer_limit,
            starts_at=starts_at,
            ends_at=ends_at,
            payment_window_seconds=payment_window_seconds,
            customer_rate_per_second=customer_rate_per_second,
            ip_rate_per_second=ip_rate_per_second,
        )
        sales.set_aside_units(actor, _offer(campaign), units)
        GateCounter.objects.create(campaign=campaign, remaining=units)
    if gate.redis_enabled():
        open_gate(campaign)
    return campaign


def open_gate(campaign: Campaign) -> None:
    """Load the campaign into Redis; idempotent, and never resets counters Redis already holds."""
    claims = Claim.objects.filter(campaign=campaign, status__in=LIVE)
    taken = dict(claims.values("customer_id").annotate(n=Count("pk")).values_list("customer_id", "n"))
    gate.load(
        code=campaign.code,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        limit=campaign.per_customer_limit,
        pool=campaign.units - claims.count(),
        customer_rate=campaign.customer_rate_per_second,
        ip_rate=campaign.ip_rate_per_second,
        taken=taken,
    )


# --- the gate ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimView:
    campaign: str
    id: str
    status: str
    order_number: str
    claimed_at: datetime
    expires_at: datetime | None
    order_status: str | None = None


def claim_unit(actor: Actor, code: str, *, ip: str = "") -> ClaimView:
    """Ask the gate for one unit. Refusals raise (409 with the reason, 429 when rate-limited)."""
    if actor.user_id is None:
        raise Forbidden("sign in to buy")
    if gate.redis_enabled():
        decision = gate.claim(code, actor.user_id, ip)
        if decision.outcome == "unknown":  # Redis lost the campaign (a flush) or never had it
            open_gate(get_campaign(code))
            decision = gate.claim(code, actor.user_id, ip)
        if decision.outcome != "ok":
            _refuse(decision.outcome, code)
        claimed_at = gate.from_ms(decision.gate_id.split("-", 1)[0])  # a stream id starts with Redis's ms
        return ClaimView(code, decision.gate_id, Claim.Status.QUEUED, "", claimed_at, None)
    claim = _db_claim(actor.user_id, code)
    write_db_claims(claim_ids=[claim.pk])  # embedded mode: no separate writer is needed
    claim.refresh_from_db()
    return _view(claim)


def _refuse(outcome: str, code: str) -> None:
    if outcome == "unknown":
        raise NotFound(f"no campaign {code}", code="unknown_campaign")
    kind, detail = REFUSALS[outcome]
    raise kind(detail, code=outcome)


@transaction.atomic
def _db_claim(customer_id: int, code: str) -> Claim:
    """The database gate: the counter row, never the stock row; the claim row is the outbox."""
    campaign = Campaign.objects.filter(code=code).first()
    if campaign is None:
        raise NotFound(f"no campaign {code}", code="unknown_campaign")
    now = timezone.now()
    if now < campaign.starts_at:
        _refuse("not_started", code)
    if now >= campaign.ends_at:
        _refuse("ended", code)
    CustomerTally.objects.get_or_create(campaign=campaign, customer_id=customer_id)
    if not CustomerTally.objects.filter(
        campaign=campaign, customer_id=customer_id, taken__lt=campaign.per_customer_limit
    ).update(taken=F("taken") + 1):
        _refuse("limit", code)
    if not GateCounter.objects.filter(campaign=campaign, remaining__gt=0).update(
        remaining=F("remaining") - 1
    ):
        _refuse("sold_out", code)  # rolls back the tally too
    if not GateCounter.objects.filter(campaign=campaign, remaining__gt=0).exists():
        Campaign.objects.filter(pk=campaign.pk, sold_out_at__isnull=True).update(sold_out_at=now)
    return _new_queued_claim(campaign, customer_id, now)


def _new_queued_claim(campaign: Campaign, customer_id: int, now: datetime) -> Claim:
    return Claim.objects.create(
        campaign=campaign,
        gate_id=f"d{secrets.token_hex(8)}",
        customer_id=customer_id,
        claimed_at=now,
        expires_at=now + timedelta(seconds=campaign.payment_window_seconds),
    )


def _view(claim: Claim, order_status: str | None = None) -> ClaimView:
    return ClaimView(
        claim.campaign.code,
        claim.gate_id,
        claim.status,
        claim.order_number,
        claim.claimed_at,
        claim.expires_at,
        order_status,
    )


def get_claim(actor: Actor, code: str, gate_id: str) -> ClaimView:
    """The buyer polls a claim: queued (order being written), ordered, paid, expired or rejected."""
    campaign = get_campaign(code)
    claim = Claim.objects.filter(campaign=campaign, gate_id=gate_id).select_related("campaign").first()
    if claim is not None:
        if claim.customer_id != actor.user_id and not actor.is_staff:
            raise NotFound("no such claim", code="unknown_claim")
        statuses = sales.flash_order_statuses([claim.order_number]) if claim.order_number else {}
        return _view(claim, statuses.get(claim.order_number))
    if gate.redis_enabled():
        queued = gate.queued_claim(code, gate_id)
        if queued is not None and (queued.customer_id == actor.user_id or actor.is_staff):
            return ClaimView(code, gate_id, Claim.Status.QUEUED, "", queued.claimed_at, None)
    raise NotFound("no such claim", code="unknown_claim")


def my_claims(actor: Actor, code: str) -> list[ClaimView]:
    campaign = get_campaign(code)
    claims = list(
        Claim.objects.filter(campaign=campaign, customer_id=actor.user_id)
        .select_related("campaign")
        .order_by("claimed_at", "pk")
    )
    return [_view(c) for c in claims]


@transaction.atomic
def pay_claim(actor: Actor, code: str, gate_id: str, *, payment_token: str) -> ClaimView:
    """Pay for a claim within its window; the order is then paid and ships like any order."""
    campaign = get_campaign(code)
    claim = (
        Claim.objects.select_for_update()
        .select_related("campaign")
        .filter(campaign=campaign, gate_id=gate_id, customer_id=actor.user_id)
        .first()
    )
    if claim is None:
        if gate.redis_enabled() and gate.queued_claim(code, gate_id):
            raise Conflict("the order is still being written; retry in a moment", code="claim_queued")
        raise NotFound("no such claim", code="unknown_claim")
    if claim.status == Claim.Status.PAID:
        return _view(claim)
    if claim.status != Claim.Status.ORDERED:
        raise Conflict(f"the claim is {claim.status}", code="not_payable")
    if claim.expires_at <= timezone.now():
        raise Conflict("the payment window has closed", code="payment_window_closed")
    order = sales.pay_order(actor, claim.order_number, payment_token=payment_token)
    claim.status, claim.settled_at = Claim.Status.PAID, timezone.now()
    claim.save(update_fields=["status", "settled_at"])
    return _view(claim, order.status)


# --- the writer ----------------------------------------------------------------------------------


def _write(campaign: Campaign, claims: list[sales.FlashClaim], *, existing: dict[str, Claim]) -> None:
    """One transaction: orders from the campaign's hold plus their claim rows (idempotent by key)."""
    _lock_campaign(campaign)
    numbers = sales.place_flash_orders(SYSTEM, _offer(campaign), claims)
    window = timedelta(seconds=campaign.payment_window_seconds)
    new_rows, rejected = [], []
    for c in claims:
        gate_id = c.key.rsplit(":", 1)[1]
        number = numbers[c.key]
        row = existing.get(gate_id)
        if row is not None:
            Claim.objects.filter(pk=row.pk, status=Claim.Status.QUEUED).update(
                status=Claim.Status.ORDERED if number else Claim.Status.REJECTED,
                order_number=number or "",
                settled_at=None if number else timezone.now(),
            )
        else:
            new_rows.append(
                Claim(
                    campaign=campaign,
                    gate_id=gate_id,
                    customer_id=c.customer_id,
                    status=Claim.Status.ORDERED if number else Claim.Status.REJECTED,
                    order_number=number or "",
                    claimed_at=c.claimed_at,
                    expires_at=c.claimed_at + window,
                    settled_at=None if number else timezone.now(),
                )
            )
        if number is None:
            rejected.append(gate_id)
    Claim.objects.bulk_create(new_rows, ignore_conflicts=True)
    if rejected:
        log.error(
            "campaign %s: %d claims found no unit in the hold: %s", campaign.code, len(rejected), rejected
        )


def _lock_campaign(campaign: Campaign) -> None:
    """Writers and the expiry move units in and out of the campaign's hold one at a time.

    Taking the hold re-reads its reservation rows; under READ COMMITTED a writer that waited on a
    row lock would not see the row the previous writer just created, and would find the hold empty.
    """
    list(Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk", flat=True))


def _key(code: str, gate_id: str) -> str:
    return f"flash:{code}:{gate_id}"


def write_stream_claims(*, batch: int = 200, block_ms: int = 1000, reclaim_idle_ms: int = 15_000) -> int:
    """Redis mode: read accepted claims from the campaigns' streams and write their orders."""
    campaigns = {c.code: c for c in Campaign.objects.select_related("sku").filter(closed_at__isnull=True)}
    if not campaigns:
        return 0
    got = gate.read_claims(list(campaigns), count=batch, block_ms=block_ms, reclaim_idle_ms=reclaim_idle_ms)
    written = 0
    for code, entries in got.items():
        campaign = campaigns[code]
        ids = [e.gate_id for e in entries]
        entries = deadletters.set_aside_malformed(campaign, entries)
        done = set(Claim.objects.filter(campaign=campaign, gate_id__in=ids).values_list("gate_id", flat=True))
        claims = [
            sales.FlashClaim(_key(code, e.gate_id), e.customer_id, e.claimed_at)
            for e in entries
            if e.gate_id not in done
        ]
        # A racing writer's claims, or one claim the database refuses, are sorted out claim by claim.
        refused = deadletters.write_each(campaign, claims, partial(_write, campaign, existing={}))
        gate.ack(code, ids)  # only after the orders committed (or were found written, or set aside)
        written += len(entries) - len(refused)
    return written


@transaction.atomic
def write_db_claims(*, batch: int = 200, claim_ids: list[int] | None = None) -> int:
    """Embedded mode: queued claim rows are the outbox; rows another writer holds are skipped."""
    qs = Claim.objects.select_for_update(skip_locked=True).filter(status=Claim.Status.QUEUED)
    if claim_ids is not None:
        qs = qs.filter(pk__in=claim_ids)
    rows = list(qs.order_by("pk")[:batch])
    by_campaign: dict[int, list[Claim]] = {}
    for row in rows:
        by_campaign.setdefault(row.campaign_id, []).append(row)
    for campaign_id, claims in by_campaign.items():
        campaign = Campaign.objects.select_related("sku").get(pk=campaign_id)
        _write(
            campaign,
            [sales.FlashClaim(_key(campaign.code, c.gate_id), c.customer_id, c.claimed_at) for c in claims],
            existing={c.gate_id: c for c in claims},
        )
    return len(rows)


def write_claims(**kwargs) -> int:
    """Turn accepted claims into orders: one pass of the writer, whichever gate is in use."""
    if gate.redis_enabled():
        return write_stream_claims(**kwargs)
    kwargs.pop("block_ms", None)
    kwargs.pop("reclaim_idle_ms", None)
    return write_db_claims(**kwargs)


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
        expired += _expire_one(claim_id, now)
    return expired


@transaction.atomic
def _expire_one(claim_id: int, now: datetime) -> int:
    claim = (
        Claim.objects.select_for_update(skip_locked=True)
        .select_related("campaign__sku")
        .filter(pk=claim_id, status=Claim.Status.ORDERED)
        .first()
    )
    if claim is None:
        return 0
    campaign = claim.campaign
    _lock_campaign(campaign)
    status, back = sales.expire_flash_order(SYSTEM, claim.order_number, _offer(campaign))
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
            offered = _new_queued_claim(campaign, entry.customer_id, now)
            WaitlistEntry.objects.filter(pk=entry.pk).update(
                status=WaitlistEntry.Status.OFFERED, claim_gate_id=offered.gate_id
            )
            return
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.SKIPPED)
    GateCounter.objects.filter(campaign=campaign).update(remaining=F("remaining") + 1)


def _pool(campaign: Campaign) -> int:
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
    if _pool(campaign) > 0:
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
    """After the end, once every claim is written and settled, unsold units go back on the shelf."""
    now = now or timezone.now()
    closed = 0
    for campaign in Campaign.objects.select_related("sku").filter(ends_at__lte=now, closed_at__isnull=True):
        if gate.redis_enabled() and gate.backlog(campaign.code):
            continue
        if Claim.objects.filter(
            campaign=campaign, status__in=(Claim.Status.QUEUED, Claim.Status.ORDERED)
        ).exists():
            continue
        with transaction.atomic():
            _lock_campaign(campaign)
            if Campaign.objects.filter(pk=campaign.pk, closed_at__isnull=True).update(closed_at=now):
                sales.release_campaign_units(SYSTEM, _offer(campaign))
                closed += 1
    return closed


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
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


def campaign_results(actor: Actor, code: str) -> Results:
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
    return Results(
        code=code,
        units=campaign.units,
        claims=sum(by_status.values()) + (queued - by_status[Claim.Status.QUEUED]),
        queued=queued,
        ordered=by_status[Claim.Status.ORDERED],
        paid=by_status[Claim.Status.PAID],
        expired=by_status[Claim.Status.EXPIRED],
        rejected=by_status[Claim.Status.REJECTED],
        sold=by_status[Claim.Status.PAID],
        available=_pool(campaign),
        waitlist=WaitlistEntry.objects.filter(campaign=campaign, status=WaitlistEntry.Status.WAITING).count(),
        sold_out_seconds=(sold_out_at - campaign.starts_at).total_seconds() if sold_out_at else None,
        closed=campaign.closed_at is not None,
    )
