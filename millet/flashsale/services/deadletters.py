"""The order writer's dead letters: stream entries it sets aside rather than retry forever.

The writer reads a campaign's claims as a batch and writes them in one transaction. An entry that is
not a claim at all (``gate.BadEntry``) is set aside before the write. If the batch fails on its
content, each claim is written alone, so one claim the database refuses (its customer is gone) is
set aside and the rest of the sale goes on. Both are kept as ``StreamDeadLetter`` rows (the admin
lists them by reason) and then acknowledged in the stream; an unwritable claim's unit goes back to
the sale. A failure of the system (database unreachable) is not a dead letter: nothing is
acknowledged and the next pass retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from millet.core.faults import is_record_fault
from millet.flashsale.models import Campaign, Claim, StreamDeadLetter
from millet.flashsale.services import gate
from millet.sales import services as sales

log = logging.getLogger(__name__)


def set_aside_malformed(campaign: Campaign, entries: list) -> list[gate.StreamClaim]:
    """Record and acknowledge the entries that are not claims; return the claims."""
    bad = [e for e in entries if isinstance(e, gate.BadEntry)]
    if bad:
        log.error("campaign %s: %d stream entries are not claims, set aside", campaign.code, len(bad))
        letters = [
            StreamDeadLetter(campaign=campaign, gate_id=e.gate_id, reason="malformed_entry", fields=e.fields)
            for e in bad
        ]
        StreamDeadLetter.objects.bulk_create(letters, ignore_conflicts=True)
        gate.ack(campaign.code, [e.gate_id for e in bad])
    return [e for e in entries if isinstance(e, gate.StreamClaim)]


def write_each(
    campaign: Campaign, claims: list[sales.FlashClaim], write: Callable[[list[sales.FlashClaim]], None]
) -> list[sales.FlashClaim]:
    """``write`` the batch in one transaction, or, if it fails on its content, each claim alone.

    Returns the claims set aside: those that failed alone and that no other writer has written
    meanwhile (a racing writer's claims fail here too, and are simply done).
    """
    try:
        with transaction.atomic():
            write(claims)
        return []
    except Exception as exc:
        if not is_record_fault(exc):
            raise
    refused = []
    for claim in claims:
        try:
            with transaction.atomic():
                write([claim])
        except Exception as exc:
            if not is_record_fault(exc):
                raise
            gate_id = claim.key.rsplit(":", 1)[1]
            if not Claim.objects.filter(campaign=campaign, gate_id=gate_id).exists():
                _set_aside_claim(campaign, claim, gate_id, exc)
                refused.append(claim)
    return refused


def _set_aside_claim(campaign: Campaign, claim: sales.FlashClaim, gate_id: str, exc: BaseException) -> None:
    log.error("campaign %s: claim %s could not be written (%s), set aside", campaign.code, gate_id, exc)
    StreamDeadLetter.objects.bulk_create(
        [
            StreamDeadLetter(
                campaign=campaign,
                gate_id=gate_id,
                reason=f"unwritable:{type(exc).__name__}",
                fields=f"customer {claim.customer_id}, claimed at {claim.claimed_at.isoformat()}",
                detail=str(exc)[:300],
            )
        ],
        ignore_conflicts=True,
    )
    gate.give_back(campaign.code, gate_id, claim.customer_id, None)
