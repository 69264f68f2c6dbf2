"""Claims: the holder reports a loss, a claims handler decides it, and an approved claim is paid out."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from millet.accounts.actor import SYSTEM, Actor
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.core.numbers import document_number
from millet.finance import services as finance
from millet.finance.services import (
    TransferSpec,
    create_transfers,
    payments_for,
)
from millet.insurance.models import (
    Claim,
    EvidenceVerdict,
    Peril,
    Policy,
)
from millet.insurance.services.evidence import device_evidence
from millet.insurance.services.policies import get_policy
from millet.regions.money import parse_amount, to_minor
from millet.sales import services as sales

# --- claims --------------------------------------------------------------------------------------


def _remaining_cover(policy: Policy) -> Decimal:
    """Cover left to pay out; approved payouts (after the excess) count against it."""
    return policy.cover_limit - policy.paid_out


def submit_claim(
    actor: Actor,
    policy_number: str,
    *,
    peril: str,
    incident_at: datetime,
    amount: Decimal | str,
    description: str = "",
) -> Claim:
    """The holder reports a loss; it is checked against the policy and the unit before anyone decides.

    A connected unit's telemetry is checked too and stored as evidence on the claim (see
    ``device_evidence``); it informs the handler and never refuses a claim by itself.

    Refused at once (nothing stored): a peril the policy does not cover (its perils as sold), an
    incident outside the term or in the future, an amount above the cover left or not above the
    excess, a used-up policy (its claims allowed as sold), a unit that went back to the shop, or a
    second undecided claim on the same policy.
    """
    if peril not in Peril.values:
        raise Unprocessable(f"unknown peril {peril!r}; known: {Peril.values}", code="invalid_peril")
    if not isinstance(incident_at, datetime) or timezone.is_naive(incident_at):
        raise Unprocessable("incident_at must be a date-time with a time zone", code="invalid_incident_at")
    try:  # PostgreSQL refuses UTC offsets beyond 15:59 that ISO 8601 allows
        incident_at = incident_at.astimezone(UTC)
    except (OverflowError, ValueError):
        raise Unprocessable("incident_at is out of range", code="invalid_incident_at") from None
    if len(description) > 2000:
        raise Unprocessable("description is at most 2000 characters", code="invalid_description")
    with transaction.atomic():
        policy = get_policy(actor, policy_number, for_update=True)
        if not actor.is_staff and policy.holder_id != actor.user_id:
            raise Forbidden("only the policy holder files a claim")
        claimed = parse_amount(amount, policy.currency)
        now = timezone.now()
        if policy.status != Policy.Status.ACTIVE:
            raise Conflict(f"policy {policy.number} is {policy.status}", code="policy_not_active")
        if incident_at > now:
            raise Unprocessable("the incident cannot be in the future", code="invalid_incident_at")
        if not policy.starts_at <= incident_at < policy.ends_at:
            raise Conflict("the incident is outside the policy's term", code="outside_term")
        if peril not in policy.perils:
            raise Conflict(f"policy {policy.number} does not cover {peril}", code="peril_not_covered")
        if policy.claims.filter(status=Claim.Status.SUBMITTED).exists():
            raise Conflict("the policy already has a claim waiting for a decision", code="claim_open")
        if policy.claims_used >= policy.max_claims:
            raise Conflict("the policy's claims are used up", code="claims_exhausted")
        if claimed <= policy.excess:
            raise Conflict(f"the claim does not exceed the excess of {policy.excess}", code="below_excess")
        if claimed - policy.excess > _remaining_cover(policy):
            raise Conflict(
                f"the claim, less the excess, exceeds the {_remaining_cover(policy)} of cover left",
                code="exceeds_cover",
            )
        sales.sold_unit(SYSTEM, policy.order_number, policy.serial)  # 404 once the unit was returned
        verdict, evidence = device_evidence(policy, peril, incident_at)
        return Claim.objects.create(
            evidence_verdict=verdict,
            evidence=evidence,
            number=document_number("C"),
            policy=policy,
            peril=peril,
            incident_at=incident_at,
            description=description,
            amount_claimed=claimed,
        )


def _visible_claims(actor: Actor) -> QuerySet[Claim]:
    claims = Claim.objects.select_related("policy__plan")
    return claims if actor.is_claims_handler else claims.filter(policy__holder_id=actor.user_id)


def get_claim(actor: Actor, number: str) -> Claim:
    claim = _visible_claims(actor).filter(number=number).first()
    if claim is None:
        raise NotFound(f"no claim {number}", code="unknown_claim")
    return claim


def list_claims(actor: Actor, *, status: str = "", policy: str = "", evidence: str = "") -> QuerySet[Claim]:
    """Claims the actor may see; ``evidence="refer"`` is the handlers' queue of contradicted claims."""
    claims = _visible_claims(actor).order_by("-created_at", "-pk")
    if evidence:
        claims = claims.filter(evidence_verdict=evidence)
    if status:
        claims = claims.filter(status=status)
    if policy:
        claims = claims.filter(policy__number=policy)
    return claims


def breakdown_claim_serials(actor: Actor) -> set[str]:
    """Serials of the units with a breakdown claim accepted (approved or paid): the unit itself
    failed, unlike a drop, a spill or a theft. Quality control's count of units that failed in
    the field, e.g. insights' failure rate per production batch. Claims handlers and staff (403)."""
    actor.require_claims_handler()
    return set(
        Claim.objects.filter(
            peril=Peril.BREAKDOWN, status__in=(Claim.Status.APPROVED, Claim.Status.PAID)
        ).values_list("policy__serial", flat=True)
    )


def _locked_claim(actor: Actor, number: str) -> tuple[Claim, Policy]:
    """Lock the policy (then read the claim) so every decision on one policy runs one at a time."""
    actor.require_claims_handler()
    policy_id = get_claim(actor, number).policy_id
    policy = Policy.objects.select_for_update().get(pk=policy_id)
    return Claim.objects.get(number=number), policy


def decide_claim(actor: Actor, number: str, *, approve: bool, reason: str = "") -> Claim:
    """Approve (payout = claimed - excess, reserved on the ledger) or reject with a reason.

    A claim the device evidence referred is never approved silently: the handler must say why.
    A claim filed within the term may be approved after the term ended (the policy stays expired);
    one on a policy cancelled since (the unit went back to the shop) is refused, 409
    ``policy_not_active``. Nobody decides a claim on their own policy (403 ``own_claim``): a
    claims handler who holds a policy would otherwise approve, and have paid, what they claimed.
    """
    if not isinstance(reason, str) or len(reason) > 255:
        raise Unprocessable("reason is at most 255 characters", code="invalid_reason")
    if not approve and not reason.strip():
        raise Unprocessable("a rejection needs a reason", code="reason_required")
    with transaction.atomic():
        claim, policy = _locked_claim(actor, number)
        if policy.holder_id == actor.user_id:
            raise Forbidden("nobody decides a claim on their own policy", code="own_claim")
        if claim.status != Claim.Status.SUBMITTED:
            raise Conflict(f"claim {number} is {claim.status}", code="claim_already_decided")
        if approve and claim.evidence_verdict == EvidenceVerdict.REFER and not reason.strip():
            raise Unprocessable(
                "the unit's telemetry contradicts this claim: approving it needs a reason",
                code="referral_reason_required",
            )
        now = timezone.now()
        fields = {"decision_reason": reason.strip(), "decided_by_id": actor.user_id, "decided_at": now}
        if not approve:
            Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.REJECTED, **fields)
            claim.refresh_from_db()
            return claim
        if policy.status not in (Policy.Status.ACTIVE, Policy.Status.EXPIRED):
            raise Conflict(f"policy {policy.number} is {policy.status}", code="policy_not_active")
        payout = claim.amount_claimed - policy.excess
        if payout > _remaining_cover(policy):
            raise Conflict("the claim exceeds the cover left", code="exceeds_cover")
        expense = finance.insurance_claims_expense_account(policy.market_id, policy.currency)
        reserve = finance.insurance_claims_reserve_account(policy.market_id, policy.currency)
        create_transfers(
            [
                TransferSpec(
                    debit=expense.code,
                    credit=reserve.code,
                    amount=to_minor(payout, policy.currency),
                    currency=policy.currency,
                    code="claim_approved",
                    reference=claim.number,
                    idempotency_key=f"insurance:claim:{claim.number}:approve",
                )
            ]
        )
        paid_out, used = policy.paid_out + payout, policy.claims_used + 1
        exhausted = used >= policy.max_claims or policy.cover_limit - paid_out <= 0
        if policy.status == Policy.Status.ACTIVE and exhausted:
            policy.status = Policy.Status.EXHAUSTED
        Policy.objects.filter(pk=policy.pk).update(paid_out=paid_out, claims_used=used, status=policy.status)
        Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.APPROVED, payout=payout, **fields)
    claim.refresh_from_db()
    return claim


def pay_claim(actor: Actor, number: str) -> Claim:
    """Pay an approved claim out through the gateway that took the premium. 409
    ``claim_already_paid`` once paid (a second click: nothing is paid twice), ``claim_not_approved``
    while undecided or rejected."""
    with transaction.atomic():
        claim, policy = _locked_claim(actor, number)
        if claim.status == Claim.Status.PAID:
            raise Conflict(f"claim {number} is paid already", code="claim_already_paid")
        if claim.status != Claim.Status.APPROVED:
            raise Conflict(f"claim {number} is {claim.status}, not approved", code="claim_not_approved")
        gateway = payments_for(policy.number)[0].gateway  # the premium's; a policy is never unpaid
        reserve = finance.insurance_claims_reserve_account(policy.market_id, policy.currency)
        create_transfers(
            [
                TransferSpec(
                    debit=reserve.code,
                    credit=finance.gateway_account(gateway, policy.currency).code,
                    amount=to_minor(claim.payout, policy.currency),
                    currency=policy.currency,
                    code="claim_payout",
                    reference=claim.number,
                    idempotency_key=f"insurance:claim:{claim.number}:payout",
                )
            ]
        )
        Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.PAID, paid_at=timezone.now())
    claim.refresh_from_db()
    return claim
