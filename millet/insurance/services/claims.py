"""Device protection: sell a plan with a device, take claims, decide them, pay them out.

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

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from millet.accounts.actor import SYSTEM, Actor
from millet.catalog.services import sku_info
from millet.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from millet.finance import services as finance
from millet.finance.services import (
    Posting,
    TransferSpec,
    charge_payment,
    create_transfers,
    payments_for,
    refund_payment,
)
from millet.insurance.models import (
    Claim,
    EvidenceVerdict,
    Peril,
    PlanPrice,
    Policy,
    ProtectionPlan,
)
from millet.regions.money import currency_exponent, parse_amount, to_minor
from millet.regions.services import get_market

CLAIMS_HANDLER_GROUP = "claims_handler"
SOLD_STATUSES = ("fulfilled", "partially_returned")  # orders whose units are in the buyer's hands
MAX_TERM_MONTHS = 60


@dataclass(frozen=True)
class PriceInput:
    market: str
    premium: Decimal | str
    cover_limit: Decimal | str
    excess: Decimal | str = "0"


def is_claims_handler(actor: Actor) -> bool:
    return actor.is_staff or actor.in_group(CLAIMS_HANDLER_GROUP)


def require_claims_handler(actor: Actor) -> None:
    if not is_claims_handler(actor):
        raise Forbidden("claims handlers only")


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.now():%y%m%d}-{secrets.token_hex(4).upper()}"


# --- plans ---------------------------------------------------------------------------------------


def _perils(perils: object) -> list[str]:
    if not isinstance(perils, list | tuple) or not perils:
        raise Unprocessable("a plan covers at least one peril", code="invalid_perils")
    unknown = [p for p in perils if p not in Peril.values]
    if unknown:
        raise Unprocessable(f"unknown peril(s) {unknown}; known: {Peril.values}", code="invalid_perils")
    return sorted(set(perils))


@transaction.atomic
def create_plan(
    actor: Actor,
    *,
    code: str,
    name: str,
    sku_code: str,
    term_months: int,
    perils: list[str],
    prices: list[PriceInput],
    max_claims: int = 2,
    purchase_window_days: int = 30,
) -> ProtectionPlan:
    """Staff define a plan for one SKU and term, priced per market in that market's currency."""
    actor.require_staff()
    if not code or len(code) > 32 or not code.replace("-", "").isalnum():
        raise Unprocessable("plan code must be 1-32 letters, digits or '-'", code="invalid_plan")
    if not name or len(name) > 120:
        raise Unprocessable("plan name must be 1-120 characters", code="invalid_plan")
    for value, field, top in (
        (term_months, "term_months", MAX_TERM_MONTHS),
        (max_claims, "max_claims", 12),
        (purchase_window_days, "purchase_window_days", 365),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise Unprocessable(f"{field} must be a whole number from 1 to {top}", code="invalid_plan")
    if not prices:
        raise Unprocessable("a plan needs a price in at least one market", code="invalid_plan")
    if len({p.market for p in prices}) != len(prices):
        raise Unprocessable("one price per market", code="invalid_plan")
    if ProtectionPlan.objects.filter(code=code).exists():
        raise Conflict(f"plan {code} exists", code="plan_exists")
    sku = sku_info([sku_code])[sku_code]  # 404 for an unknown SKU
    if not sku.serialized:
        raise Unprocessable(
            f"{sku_code} has no serial numbers to bind a policy to", code="sku_not_serialized"
        )
    plan = ProtectionPlan.objects.create(
        code=code,
        name=name,
        sku_id=sku.id,
        term_months=term_months,
        perils=_perils(perils),
        max_claims=max_claims,
        purchase_window_days=purchase_window_days,
    )
    for price in prices:
        currency = get_market(price.market).currency
        premium = parse_amount(price.premium, currency)
        cover = parse_amount(price.cover_limit, currency)
        excess = parse_amount(price.excess, currency, allow_zero=True)
        if excess >= cover:
            raise Unprocessable("the excess must be below the cover limit", code="invalid_plan")
        PlanPrice.objects.create(
            plan=plan,
            market_id=price.market,
            currency=currency,
            premium=premium,
            cover_limit=cover,
            excess=excess,
        )
    return plan


def list_plans(*, market: str, sku_code: str = "") -> list[tuple[ProtectionPlan, PlanPrice]]:
    """Active plans sold in a market (optionally for one SKU), each with its price there."""
    get_market(market)  # 404 for an unknown market
    prices = PlanPrice.objects.filter(market_id=market, plan__is_active=True).select_related("plan__sku")
    if sku_code:
        prices = prices.filter(plan__sku__code=sku_code)
    return [(price.plan, price) for price in prices.order_by("plan__code")]


def _plan_price(plan_code: str, market: str) -> tuple[ProtectionPlan, PlanPrice]:
    plan = ProtectionPlan.objects.filter(code=plan_code, is_active=True).first()
    if plan is None:
        raise NotFound(f"no plan {plan_code!r}", code="unknown_plan")
    price = PlanPrice.objects.filter(plan=plan, market_id=market).first()
    if price is None:
        raise Conflict(f"plan {plan_code} is not sold in {market}", code="plan_not_sold_here")
    return plan, price


# --- policies ------------------------------------------------------------------------------------


def _unit_on_order(actor: Actor, order_number: str, serial: str):
    """The sales order (as the actor may see it) and the SKU id of ``serial`` still in the buyer's hands.

    Reads through ``sales.services.get_order``, so a customer can only insure units of their own
    orders and a cashier only units sold at their store; anything else is 404.
    """
    from millet.sales.services import get_order

    order = get_order(actor, order_number)
    for line in order.lines.all():
        for unit in line.units.all():
            if unit.serial == serial and not unit.returned:
                return order, line.sku_id
    raise NotFound(f"{serial} is not a unit sold on order {order_number}", code="unknown_unit")


def buy_policy(actor: Actor, order_number: str, serial: str, plan: str, *, payment_token: str) -> Policy:
    """Insure one unit sold on an order: checks the sale, charges the premium, starts the cover.

    The policy holder is the order's customer, whoever sells it (the customer online or a cashier
    at the till). The premium is charged in the same transaction that creates the policy, so a
    declined card leaves no policy behind.
    """
    if not isinstance(serial, str) or not 0 < len(serial) <= 32:
        raise Unprocessable("serial must be 1-32 characters", code="invalid_serial")
    with transaction.atomic():
        order, sku_id = _unit_on_order(actor, order_number, serial)
        if order.customer_id is None:
            raise Conflict("an anonymous sale has no one to hold a policy", code="no_policy_holder")
        if order.status not in SOLD_STATUSES:
            raise Conflict(f"order {order_number} is {order.status}, not handed over", code="order_not_sold")
        chosen, price = _plan_price(plan, order.market_id)
        if chosen.sku_id != sku_id:
            raise Unprocessable(f"plan {plan} does not cover this unit's SKU", code="plan_sku_mismatch")
        now = timezone.now()
        if now > order.created_at + timedelta(days=chosen.purchase_window_days):
            raise Conflict(
                f"plan {plan} can be bought within {chosen.purchase_window_days} days of the order",
                code="purchase_window_closed",
            )
        # A lapsed policy the daily job has not marked yet must not block the new one.
        Policy.objects.filter(serial=serial, status=Policy.Status.ACTIVE, ends_at__lte=now).update(
            status=Policy.Status.EXPIRED
        )
        try:
            with transaction.atomic():
                policy = Policy.objects.create(
                    number=_number("P"),
                    plan=chosen,
                    holder_id=order.customer_id,
                    order_number=order.number,
                    serial=serial,
                    market_id=order.market_id,
                    currency=price.currency,
                    premium=price.premium,
                    cover_limit=price.cover_limit,
                    excess=price.excess,
                    starts_at=now,
                    ends_at=_add_months(now, chosen.term_months),
                )
        except IntegrityError:
            raise Conflict(f"{serial} already has an active policy", code="already_insured") from None
        income = finance.insurance_premium_income_account(order.market_id, price.currency)
        charge_payment(
            reference=policy.number,
            amount=price.premium,
            currency=price.currency,
            payment_token=payment_token,
            postings=[Posting(income.code, income.kind, price.premium, "insurance_premium")],
        )
    return policy


def _add_months(moment: datetime, months: int) -> datetime:
    """Same day-of-month ``months`` later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def _visible_policies(actor: Actor) -> QuerySet[Policy]:
    policies = Policy.objects.select_related("plan")
    return policies if is_claims_handler(actor) else policies.filter(holder_id=actor.user_id)


def get_policy(actor: Actor, number: str, *, for_update: bool = False) -> Policy:
    policies = _visible_policies(actor)
    if for_update:
        policies = policies.select_for_update(of=("self",))
    policy = policies.filter(number=number).first()
    if policy is None:
        raise NotFound(f"no policy {number}", code="unknown_policy")
    return policy


def list_policies(actor: Actor, *, serial: str = "", status: str = "") -> QuerySet[Policy]:
    policies = _visible_policies(actor).order_by("-created_at", "-pk")
    if serial:
        policies = policies.filter(serial=serial)
    if status:
        policies = policies.filter(status=status)
    return policies


def expire_policies(*, now: datetime | None = None) -> int:
    """Job: mark active policies whose term has ended as expired; returns how many.

    Claims already check the term, so this keeps listings and the one-active-policy-per-unit rule
    truthful. A conditional UPDATE, so concurrent runs are safe.
    """
    now = now or timezone.now()
    return Policy.objects.filter(status=Policy.Status.ACTIVE, ends_at__lte=now).update(
        status=Policy.Status.EXPIRED
    )


def _unused_premium(policy: Policy, now: datetime) -> Decimal:
    """The premium for the days of cover left, rounded down to the minor unit; nothing once a
    claim was approved (the cover was used)."""
    if policy.paid_out > 0 or now >= policy.ends_at:
        return Decimal(0)
    left = (policy.ends_at - max(now, policy.starts_at)).total_seconds()
    term = (policy.ends_at - policy.starts_at).total_seconds()
    share = policy.premium * Decimal(int(left)) / Decimal(int(term))
    return share.quantize(Decimal(1).scaleb(-currency_exponent(policy.currency)), rounding=ROUND_DOWN)


def cancel_policies_for_returned_units(*, order_number: str, serials: list[str]) -> list[Policy]:
    """Cancel the active policies of returned units and refund their unused premium.

    Idempotent: a policy is cancelled once (its row is locked and its status checked), and the
    refund carries an idempotency key, so a repeated event refunds nothing twice.
    """
    cancelled = []
    with transaction.atomic():
        policies = Policy.objects.select_for_update().filter(
            order_number=order_number, serial__in=serials, status=Policy.Status.ACTIVE
        )
        now = timezone.now()
        for policy in policies.order_by("pk"):
            refund = _unused_premium(policy, now)
            if refund > 0:
                income = finance.insurance_premium_income_account(policy.market_id, policy.currency)
                refund_payment(
                    payments_for(policy.number)[0].pk,
                    postings=[Posting(income.code, income.kind, refund, "insurance_refund")],
                    idempotency_key=f"policy-cancel-{policy.number}",
                )
            Policy.objects.filter(pk=policy.pk).update(status=Policy.Status.CANCELLED, refunded=refund)
            policy.refresh_from_db()
            cancelled.append(policy)
    return cancelled


def on_units_returned(sender, *, order_number: str, serials: list[str], **kwargs) -> None:
    cancel_policies_for_returned_units(order_number=order_number, serials=list(serials))


# --- claims --------------------------------------------------------------------------------------


def _remaining_cover(policy: Policy) -> Decimal:
    """Cover left to pay out; approved payouts (after the excess) count against it."""
    return policy.cover_limit - policy.paid_out


EVENT_WINDOW_BEFORE = timedelta(days=2)  # a fault often shows before the owner notices it
EVENT_WINDOW_AFTER = timedelta(days=1)  # the device's clock and the owner's memory both drift
THEFT_GRACE = timedelta(hours=1)  # messages queued on the unit may still arrive just after a theft
# Words in a device's event names that back each peril (event names are MIoT-style "motion-detected").
PERIL_EVENT_WORDS = {
    Peril.ACCIDENTAL_DAMAGE: frozenset(
        {"drop", "dropped", "fall", "fell", "impact", "shock", "crack", "cracked"}
    ),
    Peril.LIQUID_DAMAGE: frozenset({"liquid", "water", "leak", "moisture", "wet", "submerged"}),
    Peril.BREAKDOWN: frozenset(
        {"fault", "error", "failure", "failed", "fail", "stuck", "overheat", "overheating"}
    ),
    Peril.THEFT: frozenset(),
}


def _when(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def device_evidence(policy: Policy, peril: str, incident_at: datetime) -> tuple[str, dict]:
    """What the unit's own telemetry says about a claim: a verdict and the facts behind it.

    A handler must be able to see why, so the facts are stored with the claim as they were when it
    was filed (the unit's later history may be wiped on resale). The verdict never decides a claim
    by itself: "supported" means the unit reported a matching event (a drop, a fault, liquid), and
    "refer" means a theft claim for a unit that kept reporting from the holder's own account after
    the theft, which a person must look at. Units without a device identity are not checked.
    """
    from millet.devices.services import device_activity_for_serial

    activity = device_activity_for_serial(
        policy.serial,
        start=incident_at - EVENT_WINDOW_BEFORE,
        end=incident_at + EVENT_WINDOW_AFTER,
        reports_after=incident_at + THEFT_GRACE,
    )
    if activity is None:
        return EvidenceVerdict.NOT_CONNECTED, {
            "connected": False,
            "summary": "Not a connected unit: no telemetry to check.",
        }
    words = PERIL_EVENT_WORDS[peril]
    matching = [e for e in activity.events if words & set(re.split(r"[^a-z0-9]+", e.name.lower()))]
    bound_to_holder = activity.owner_id is not None and activity.owner_id == policy.holder_id
    facts = {
        "connected": True,
        "device_id": activity.device_id,
        "online": activity.online,
        "last_seen": _when(activity.last_seen),
        "bound_to_holder": bound_to_holder,
        "in_home": activity.placed_in_home,
        "window": [_when(incident_at - EVENT_WINDOW_BEFORE), _when(incident_at + EVENT_WINDOW_AFTER)],
        "events": [{"at": _when(e.at), "name": e.name} for e in activity.events],
        "matching_events": [{"at": _when(e.at), "name": e.name} for e in matching],
        "reports_after_incident": activity.reports_after,
        "last_report_at": _when(activity.last_report_at),
    }
    if peril == Peril.THEFT:
        if bound_to_holder and activity.reports_after:
            where = "the holder's home" if activity.placed_in_home else "the holder's account"
            return EvidenceVerdict.REFER, {
                **facts,
                "summary": f"Kept reporting after the reported theft: {activity.reports_after} message(s) "
                f"from {where}, the last at {_when(activity.last_report_at)}. Refer for review.",
            }
        summary = (
            "No report from the holder's account after the reported theft."
            if not activity.reports_after
            else "Reported after the theft, but no longer from the holder's account."
        )
        return EvidenceVerdict.NO_EVIDENCE, {**facts, "summary": summary}
    if matching:
        names = ", ".join(f"{e.name} at {_when(e.at)}" for e in matching)
        return EvidenceVerdict.SUPPORTED, {**facts, "summary": f"The unit reported {names}."}
    return EvidenceVerdict.NO_EVIDENCE, {
        **facts,
        "summary": f"The unit reported no {peril.replace('_', ' ')} event around the incident "
        f"({len(activity.events)} other event(s)); last seen {_when(activity.last_seen) or 'never'}.",
    }


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

    Refused at once (nothing stored): a peril the plan does not cover, an incident outside the term
    or in the future, an amount above the cover left or not above the excess, a used-up policy, a
    unit that went back to the shop, or a second undecided claim on the same policy.
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
        if peril not in policy.plan.perils:
            raise Conflict(f"plan {policy.plan.code} does not cover {peril}", code="peril_not_covered")
        if policy.claims.filter(status=Claim.Status.SUBMITTED).exists():
            raise Conflict("the policy already has a claim waiting for a decision", code="claim_open")
        if policy.claims_used >= policy.plan.max_claims:
            raise Conflict("the policy's claims are used up", code="claims_exhausted")
        if claimed <= policy.excess:
            raise Conflict(f"the claim does not exceed the excess of {policy.excess}", code="below_excess")
        if claimed - policy.excess > _remaining_cover(policy):
            raise Conflict(
                f"the claim, less the excess, exceeds the {_remaining_cover(policy)} of cover left",
                code="exceeds_cover",
            )
        _unit_on_order(SYSTEM, policy.order_number, policy.serial)  # 404 once the unit was returned
        verdict, evidence = device_evidence(policy, peril, incident_at)
        return Claim.objects.create(
            evidence_verdict=verdict,
            evidence=evidence,
            number=_number("C"),
            policy=policy,
            peril=peril,
            incident_at=incident_at,
            description=description,
            amount_claimed=claimed,
        )


def _visible_claims(actor: Actor) -> QuerySet[Claim]:
    claims = Claim.objects.select_related("policy__plan")
    return claims if is_claims_handler(actor) else claims.filter(policy__holder_id=actor.user_id)


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


def _locked_claim(actor: Actor, number: str) -> tuple[Claim, Policy]:
    """Lock the policy (then read the claim) so every decision on one policy runs one at a time."""
    require_claims_handler(actor)
    policy_id = get_claim(actor, number).policy_id
    policy = Policy.objects.select_for_update().select_related("plan").get(pk=policy_id)
    return Claim.objects.get(number=number), policy


def decide_claim(actor: Actor, number: str, *, approve: bool, reason: str = "") -> Claim:
    """Approve (payout = claimed - excess, reserved on the ledger) or reject with a reason.

    A claim the device evidence referred is never approved silently: the handler must say why.
    """
    if not isinstance(reason, str) or len(reason) > 255:
        raise Unprocessable("reason is at most 255 characters", code="invalid_reason")
    if not approve and not reason.strip():
        raise Unprocessable("a rejection needs a reason", code="reason_required")
    with transaction.atomic():
        claim, policy = _locked_claim(actor, number)
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
        if policy.status != Policy.Status.ACTIVE:
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
        exhausted = used >= policy.plan.max_claims or policy.cover_limit - paid_out <= 0
        Policy.objects.filter(pk=policy.pk).update(
            paid_out=paid_out,
            claims_used=used,
            status=Policy.Status.EXHAUSTED if exhausted else Policy.Status.ACTIVE,
        )
        Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.APPROVED, payout=payout, **fields)
    claim.refresh_from_db()
    return claim


def pay_claim(actor: Actor, number: str) -> Claim:
    """Pay an approved claim out through the gateway that took the premium."""
    with transaction.atomic():
        claim, policy = _locked_claim(actor, number)
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
