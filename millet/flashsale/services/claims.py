"""Claims through the gate: who gets a unit, what a buyer sees of their claims, paying a claim."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from millet.accounts import services as accounts
from millet.accounts.actor import Actor
from millet.core import redis_client
from millet.core.errors import Conflict, Forbidden, NotFound
from millet.flashsale.models import Campaign, Claim, CustomerTally, GateCounter
from millet.flashsale.services import gate
from millet.flashsale.services.campaigns import get_campaign, open_gate
from millet.flashsale.services.writer import write_db_claims
from millet.sales import services as sales


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
        return _accepted(code, decision)
    claim = _db_claim(actor.user_id, code)
    write_db_claims(claim_ids=[claim.pk])  # embedded mode: no separate writer is needed
    claim.refresh_from_db()
    return _view(claim)


def claim_with_token(raw_token: str, code: str, *, ip: str = "") -> ClaimView | None:
    """The gate's fast path for a bearer token, no database query: the token check and the claim in
    one Redis call (``gate.claim_for_token``), or on a Redis Cluster, where the token's cache entry
    lives on another master, the entry read first and then the claim. Refusals raise as
    ``claim_unit``'s do; ``gate.GateUnavailable`` when Redis cannot answer.

    Returns None, having decided nothing, when this path cannot answer: no Redis, the token's owner is
    not in the shared cache (never cached, expired, revoked, or not a token), or the gate does not
    hold the campaign. The caller then authenticates the usual way and calls ``claim_unit``, which
    fills the cache, loads the campaign, or refuses.
    """
    if not gate.redis_enabled():
        return None
    if gate.tokens_in_script():
        decision, entry = gate.claim_for_token(code, accounts.token_cache_key(raw_token), ip)
        if decision.outcome == "auth":
            return None
        accounts.owner_from_cache(raw_token, entry)  # the token's use recorded, as authentication does
    else:
        try:
            owner = accounts.owner_in_cache(raw_token)
        except redis_client.UNAVAILABLE as exc:
            raise gate.GateUnavailable() from exc
        if owner is None:
            return None
        decision = gate.claim(code, owner.user_id, ip)
    if decision.outcome == "unknown":
        return None
    return _accepted(code, decision)


def _accepted(code: str, decision: gate.Decision) -> ClaimView:
    if decision.outcome != "ok":
        _refuse(decision.outcome, code)
    claimed_at = gate.from_ms(decision.gate_id.split("-", 1)[0])  # a stream id starts with Redis's ms
    return ClaimView(code, decision.gate_id, Claim.Status.QUEUED, "", claimed_at, None)


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
    return new_queued_claim(campaign, customer_id, now)


def new_queued_claim(campaign: Campaign, customer_id: int, now: datetime) -> Claim:
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
            raise _unknown_claim()
        statuses = sales.flash_order_statuses([claim.order_number]) if claim.order_number else {}
        return _view(claim, statuses.get(claim.order_number))
    queued = _queued_claim(code, gate_id, actor.user_id, include_others=actor.is_staff)
    if queued is None:
        raise _unknown_claim()
    return ClaimView(code, gate_id, Claim.Status.QUEUED, "", queued.claimed_at, None)


def _unknown_claim() -> NotFound:
    """One answer for a claim that does not exist and one that is someone else's (never a 403 or a
    state-dependent 409, which would tell a guesser that the id exists)."""
    return NotFound("no such claim", code="unknown_claim")


def _queued_claim(code: str, gate_id: str, customer_id: int | None, *, include_others: bool = False):
    """The caller's claim still in the gate's stream (Redis mode), or None: another customer's queued
    claim is None too, exactly like an id that never existed."""
    if not gate.redis_enabled():
        return None
    queued = gate.queued_claim(code, gate_id)
    if queued is None or (queued.customer_id != customer_id and not include_others):
        return None
    return queued


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
        if _queued_claim(code, gate_id, actor.user_id):
            raise Conflict("the order is still being written; retry in a moment", code="claim_queued")
        raise _unknown_claim()
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
