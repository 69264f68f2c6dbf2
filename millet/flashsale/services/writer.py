"""The order writer: turns the claims the gate accepted into FLASH orders, idempotently, in batches."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from millet.accounts.actor import SYSTEM
from millet.flashsale.models import Campaign, Claim
from millet.flashsale.services import deadletters, gate
from millet.flashsale.services.campaigns import offer_of
from millet.sales import services as sales

log = logging.getLogger(__name__)


# --- the writer ----------------------------------------------------------------------------------


def _write(campaign: Campaign, claims: list[sales.FlashClaim], *, existing: dict[str, Claim]) -> None:
    """One transaction: orders from the campaign's hold plus their claim rows (idempotent by key)."""
    lock_campaign(campaign)
    numbers = sales.place_flash_orders(SYSTEM, offer_of(campaign), claims)
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


def lock_campaign(campaign: Campaign) -> None:
    """Writers and the expiry move units in and out of the campaign's hold one at a time.

    Taking the hold re-reads its reservation rows; under READ COMMITTED a writer that waited on a
    row lock would not see the row the previous writer just created, and would find the hold empty.
    """
    list(Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk", flat=True))


def _key(code: str, gate_id: str) -> str:
    return f"flash:{code}:{gate_id}"


def write_stream_claims(*, batch: int = 200, block_ms: int = 1000, reclaim_idle_ms: int = 15_000) -> int:
    """Redis mode: read accepted claims from the campaigns' streams and write their orders."""
    campaigns = {c.code: c for c in Campaign.objects.filter(closed_at__isnull=True)}
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
        campaign = Campaign.objects.get(pk=campaign_id)
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
