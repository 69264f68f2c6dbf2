"""Policies: insuring one sold unit (the premium charged through payments), reading policies, and
cancelling them when the unit goes back to the shop (a pro-rata refund of the unused premium)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.integrity import taken_or_raise
from millet.core.numbers import NUMBER_DRAWS, document_number
from millet.finance import services as finance
from millet.finance.services import (
    Posting,
    charge_payment,
    payments_for,
    refund_payment,
)
from millet.insurance.models import (
    PlanPrice,
    Policy,
    ProtectionPlan,
)
from millet.insurance.services.plans import plan_price
from millet.regions.money import currency_exponent
from millet.sales import services as sales

SOLD_STATUSES = ("fulfilled", "partially_returned")  # orders whose units are in the buyer's hands


# --- policies ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferedTerms:
    """A plan's price terms as its buyer was shown them (amounts in the market's currency): what the
    policy is bought at, or not at all (``buy_policy``'s ``expected``). The Insurance Distribution
    Directive (EU) 2016/97 art. 20 has the buyer decide on the terms disclosed before the contract."""

    premium: Decimal
    cover_limit: Decimal
    excess: Decimal

    @classmethod
    def of(cls, price: PlanPrice) -> OfferedTerms:
        return cls(price.premium, price.cover_limit, price.excess)


def buy_policy(
    actor: Actor,
    order_number: str,
    serial: str,
    plan: str,
    *,
    payment_token: str,
    sold_at: datetime | None = None,
    expected: OfferedTerms | None = None,
) -> Policy:
    """Insure one unit sold on an order: checks the sale, charges the premium, starts the cover.

    The policy keeps the plan's terms as sold (premium, cover limit, excess, perils, claims
    allowed; the term's end): a later edit of the plan changes policies sold after it only.

    The policy holder is the order's customer, whoever sells it (the customer online or a cashier
    at the till). The premium is charged in the same transaction that creates the policy, so a
    declined card leaves no policy behind.

    ``expected``: the terms the buyer was shown; the plan priced otherwise now (its premium, cover
    or excess edited since) is 409 ``terms_changed``, with nothing charged or written.

    ``sold_at`` backdates imported history (as ``sales.place_order``'s ``placed_at``): the cover
    starts then, not now. It lies between the order and now, within the plan's purchase window,
    and its term must not have ended already (422 ``invalid_sold_at``).
    """
    if not isinstance(serial, str) or not 0 < len(serial) <= 32:
        raise Unprocessable("serial must be 1-32 characters", code="invalid_serial")
    if sold_at is not None and (not isinstance(sold_at, datetime) or timezone.is_naive(sold_at)):
        raise Unprocessable("sold_at must be a date-time with a time zone", code="invalid_sold_at")
    with transaction.atomic():
        sale = sales.sold_unit(actor, order_number, serial)
        if sale.customer_id is None:
            raise Conflict("an anonymous sale has no one to hold a policy", code="no_policy_holder")
        if sale.order_status not in SOLD_STATUSES:
            raise Conflict(
                f"order {order_number} is {sale.order_status}, not handed over", code="order_not_sold"
            )
        chosen, price = plan_price(plan, sale.market)
        if chosen.sku_id != sale.sku_id:
            raise Unprocessable(f"plan {plan} does not cover this unit's SKU", code="plan_sku_mismatch")
        if expected is not None and expected != OfferedTerms.of(price):
            raise Conflict(
                f"plan {plan} is offered at {OfferedTerms.of(price)} now, not {expected}",
                code="terms_changed",
            )
        now = timezone.now()
        starts_at = now if sold_at is None else sold_at
        if not sale.ordered_at <= starts_at <= now:
            raise Unprocessable("sold_at lies between the order and now", code="invalid_sold_at")
        if starts_at > sale.ordered_at + timedelta(days=chosen.purchase_window_days):
            raise Conflict(
                f"plan {plan} can be bought within {chosen.purchase_window_days} days of the order",
                code="purchase_window_closed",
            )
        ends_at = _add_months(starts_at, chosen.term_months)
        if ends_at <= now:
            raise Unprocessable("the cover sold then has already ended", code="invalid_sold_at")
        # A lapsed policy the daily job has not marked yet must not block the new one.
        Policy.objects.filter(serial=serial, status=Policy.Status.ACTIVE, ends_at__lte=now).update(
            status=Policy.Status.EXPIRED
        )
        insured = Policy.objects.filter(serial=serial, status=Policy.Status.ACTIVE)
        refusal = Conflict(f"{serial} already has an active policy", code="already_insured")
        for draw in range(NUMBER_DRAWS):  # another policy's number (48 random bits a day): draw again
            try:
                with taken_or_raise(insured, refusal):
                    policy = _create_policy(chosen, sale, serial, price, starts_at, ends_at)
                break
            except IntegrityError:
                if draw == NUMBER_DRAWS - 1:
                    raise
        income = finance.insurance_premium_income_account(sale.market, price.currency)
        charge_payment(
            reference=policy.number,
            amount=price.premium,
            currency=price.currency,
            payment_token=payment_token,
            postings=[Posting(income.code, income.kind, price.premium, "insurance_premium")],
        )
    return policy


def _create_policy(
    plan: ProtectionPlan,
    sale: sales.SoldUnit,
    serial: str,
    price: PlanPrice,
    starts_at: datetime,
    ends_at: datetime,
) -> Policy:
    """The policy row, under a newly drawn number (``buy_policy`` draws again on a clash)."""
    return Policy.objects.create(
        number=document_number("P"),
        plan=plan,
        holder_id=sale.customer_id,
        order_number=sale.order_number,
        serial=serial,
        market_id=sale.market,
        currency=price.currency,
        premium=price.premium,
        cover_limit=price.cover_limit,
        excess=price.excess,
        perils=plan.perils,
        max_claims=plan.max_claims,
        starts_at=starts_at,
        ends_at=ends_at,
    )


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
    return policies if actor.is_claims_handler else policies.filter(holder_id=actor.user_id)


def get_policy(actor: Actor, number: str, *, for_update: bool = False) -> Policy:
    policies = _visible_policies(actor)
    if for_update:
        policies = policies.select_for_update(of=("self",))
    policy = policies.filter(number=number).first()
    if policy is None:
        raise NotFound(f"no policy {number}", code="unknown_policy")
    return policy


def get_own_policy(actor: Actor, number: str) -> Policy:
    """One of the actor's own policies, as its holder: the one a person may claim on.

    Another person's policy is ``NotFound`` (404 ``unknown_policy``) like one that does not exist,
    even for a claims handler, who sees every policy through ``get_policy`` but claims only on
    their own; so the shopper's pages cannot be used to probe policy numbers.
    """
    policy = _visible_policies(actor).filter(number=number, holder_id=actor.user_id).first()
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


# --- offers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A plan the holder can still buy for one unit of their order, at its price in the order's market."""

    serial: str
    sku_id: int
    plan: ProtectionPlan
    price: PlanPrice
    closes_at: datetime


def protection_offers(actor: Actor, order_number: str) -> list[Offer]:
    """What the order's own buyer can still protect: each unit in their hands without an active
    policy, with every active plan for its SKU priced in the order's market whose purchase window
    is open. ``buy_policy`` applies the same rules when it sells; this only saves a shopper a button
    that would be refused. Another person's order is 404 (``sold_units``); a cashier sees none."""
    now = timezone.now()
    units = [
        unit
        for unit in sales.sold_units(actor, order_number)
        if unit.customer_id == actor.user_id and unit.order_status in SOLD_STATUSES
    ]
    if not units:
        return []
    insured = set(
        Policy.objects.filter(
            serial__in=[u.serial for u in units], status=Policy.Status.ACTIVE, ends_at__gt=now
        ).values_list("serial", flat=True)
    )
    prices = PlanPrice.objects.filter(
        market_id=units[0].market, plan__is_active=True, plan__sku_id__in={u.sku_id for u in units}
    ).select_related("plan")
    offers = []
    for unit in units:
        if unit.serial in insured:
            continue
        for price in sorted(prices, key=lambda p: p.plan.code):
            closes_at = unit.ordered_at + timedelta(days=price.plan.purchase_window_days)
            if price.plan.sku_id == unit.sku_id and now <= closes_at:
                offers.append(Offer(unit.serial, unit.sku_id, price.plan, price, closes_at))
    return offers
