"""The demo company's device protection: plans for its devices in every market, policies sold with a
share of its device orders, and claims in every state, so the claims handler's queue has work.

Only through insurance's services, so each premium, reserve and payout is a balanced ledger transfer.
A policy is bought at its order's checkout (``buy_policy``'s ``sold_at``): the cover of an order
placed months ago started months ago, and its claims' incidents lie between then and now. Claims on
connected units carry what their telemetry says, as the device cloud knows it when they are filed.
The demo customer (Li Wei) insures every device they bought, so their account shows policies.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from millet.accounts import services as accounts
from millet.accounts.actor import SYSTEM, Actor, actor_for
from millet.demo.content import EUR_PRICES
from millet.demo.data import PRODUCTS
from millet.demo.devices import connected_skus
from millet.insights import services as insights
from millet.insurance import services as insurance
from millet.insurance.services import PriceInput
from millet.sales import services as sales

CLAIMS_HANDLER = "claims"  # the demo's claims handler login (demo.build's back-office people)


@dataclass(frozen=True)
class Cover:
    """A category's plan: term, perils, and its price as shares of the device's shelf price."""

    months: int
    perils: tuple[str, ...]
    premium: Decimal  # of the shelf price, for the whole term
    excess: Decimal  # of the shelf price, the holder's share of each claim
    attach: float  # how many of the units sold leave with the plan


COVERS = {
    "phone": Cover(
        12, ("accidental_damage", "liquid_damage", "theft"), Decimal("0.08"), Decimal("0.10"), 0.2
    ),
    "laptop": Cover(
        12, ("accidental_damage", "breakdown", "liquid_damage"), Decimal("0.07"), Decimal("0.08"), 0.15
    ),
    "tv": Cover(24, ("accidental_damage", "breakdown"), Decimal("0.06"), Decimal("0.05"), 0.1),
    "camera": Cover(12, ("breakdown", "theft"), Decimal("0.10"), Decimal("0.10"), 0.1),
}
# The claims filed: four waiting for a decision, then the decided ones by the state the handler left
# them in (interleaved, so a small demo with few policies old enough still has one of each).
WAITING = 4
DECIDED = ("approved", "paid", "rejected", "paid", "approved", "paid")
DESCRIPTIONS = {
    "accidental_damage": "Dropped it on the pavement; the screen is cracked across.",
    "liquid_damage": "A glass of tea went over it; it no longer switches on.",
    "breakdown": "It stopped working by itself: no picture, and it restarts every few minutes.",
    "theft": "Stolen from my bag on the metro; reported to the police the same day.",
}
APPROVED_BECAUSE = "The repair centre's report matches the loss described."
REJECTED_BECAUSE = "The repair centre found wear and tear, which the plan does not cover."

Progress = Callable[[str, int], None]


def _whole(amount: Decimal) -> Decimal:
    """A price in whole units of the currency (at least one), as a price list shows it."""
    return max(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP), Decimal(1))


def build_plans(markets_of: dict[str, list[str]]) -> dict[str, Cover]:
    """A plan for each device SKU, priced in every market that sells it; returns SKU code -> cover."""
    shelf = {code: {"CN": cny, "IN": inr} for *_, variants in PRODUCTS for code, _v, cny, inr in variants}
    covered = {}
    for _slug, name, category, _model, _serialized, variants in PRODUCTS:
        cover = COVERS.get(category)
        if cover is None:
            continue
        for code, variant, *_ in variants:
            prices = []
            for market in markets_of[code]:
                price = Decimal(EUR_PRICES[code] if market == "DE" else shelf[code][market])
                premium, excess = _whole(price * cover.premium), _whole(price * cover.excess)
                prices.append(PriceInput(market, premium, price, excess))
            insurance.create_plan(
                SYSTEM,
                code=f"CARE-{code}",
                name=f"Mi Care {cover.months} months: {name} {variant}",
                sku_code=code,
                term_months=cover.months,
                perils=list(cover.perils),
                prices=prices,
            )
            covered[code] = cover
    return covered


def _holder(actors: dict[int, Actor], user_id: int) -> Actor:
    if user_id not in actors:
        actors[user_id] = actor_for(user_id, is_staff=False)
    return actors[user_id]


def sell_policies(
    orders: list,
    covered: dict[int, tuple[str, Cover]],
    demo_customer_id: int,
    rng: random.Random,
    tick: Callable[[], None],
) -> list:
    """At checkout, a share of the device orders' buyers protect their units (the demo customer
    always does); each policy starts when its order was placed. Returns the policies, oldest first."""
    actors: dict[int, Actor] = {}
    policies = []
    for order in orders:
        tick()
        chosen = {
            line.sku_id
            for line in order.lines.all()
            if line.sku_id in covered
            and (order.customer_id == demo_customer_id or rng.random() < covered[line.sku_id][1].attach)
        }
        if not chosen:
            continue
        holder = _holder(actors, order.customer_id)
        for unit in sales.sold_units(SYSTEM, order.number):
            if unit.sku_id in chosen:
                policies.append(
                    insurance.buy_policy(
                        holder,
                        order.number,
                        unit.serial,
                        covered[unit.sku_id][0],
                        payment_token="tok_ok",
                        sold_at=order.created_at,
                    )
                )
    return policies


def _claim_order(policies: list, demo_customer_id: int, connected: set[int], rng: random.Random, now) -> list:
    """(policy, state) for each claim to file, one claim per policy. The claims waiting for a
    decision are one of the demo customer's (their account shows it) and the newest connected
    units' (the ones the device cloud knows, so their claims carry telemetry); the decided ones
    are other buyers', drawn at random."""
    old_enough = [p for p in policies if p.starts_at <= now - timedelta(days=3)]
    mine = [p for p in old_enough if p.holder_id == demo_customer_id][-1:]
    others = [p for p in old_enough if p.holder_id != demo_customer_id]
    newest_connected = sorted(
        (p for p in others if p.plan.sku_id in connected), key=lambda p: p.starts_at, reverse=True
    )[: WAITING - len(mine)]
    rest = [p for p in others if p not in newest_connected]
    waiting = [(p, "submitted") for p in mine + newest_connected]
    return waiting + list(zip(rng.sample(rest, min(len(rest), len(DECIDED))), DECIDED, strict=False))


def file_claims(
    policies: list, demo_customer_id: int, connected: set[int], rng: random.Random, tick: Callable[[], None]
) -> list:
    """The holders report their losses; the claims handler decides and pays some of them."""
    now = timezone.now()
    handler = actor_for(accounts.user_id_for(CLAIMS_HANDLER), is_staff=False)
    claims = []
    for policy, state in _claim_order(policies, demo_customer_id, connected, rng, now):
        tick()
        perils = [p for p in policy.perils if state != "rejected" or p != "theft"]
        peril = rng.choice(perils)
        span = (now - timedelta(hours=1) - policy.starts_at).total_seconds()
        incident_at = policy.starts_at + timedelta(seconds=int(span * rng.uniform(0.3, 1.0)))
        share = Decimal(1) if peril == "theft" else Decimal(rng.randint(25, 70)) / 100
        claim = insurance.submit_claim(
            actor_for(policy.holder_id, is_staff=False),
            policy.number,
            peril=peril,
            incident_at=incident_at,
            amount=_whole(policy.cover_limit * share),
            description=DESCRIPTIONS[peril],
        )
        if state != "submitted":
            approve = state != "rejected"
            reason = APPROVED_BECAUSE if approve else REJECTED_BECAUSE
            claim = insurance.decide_claim(handler, claim.number, approve=approve, reason=reason)
        if state == "paid":
            claim = insurance.pay_claim(handler, claim.number)
        claims.append(claim)
    return claims


def build_insurance_demo(
    skus: dict[str, dict],
    demo_customer_id: int,
    rng: random.Random,
    *,
    stage: Callable[[str, int], None],
    progress: Progress,
) -> tuple[list, list]:
    """Plans, then policies on the demo's fulfilled orders, then claims; returns (policies, claims).
    ``skus`` is the demo company's SKU code -> {id, markets}."""
    with insights.catch_up_deferred(), transaction.atomic():  # premiums roll up once, at the end
        codes = build_plans({code: sku["markets"] for code, sku in skus.items()})
        covered = {skus[code]["id"]: (f"CARE-{code}", cover) for code, cover in codes.items()}
        fulfilled = sales.list_orders(SYSTEM, status="fulfilled", limit=10**6)[::-1]
        orders = [o for o in fulfilled if o.customer_id is not None]
        stage("insurance", len(orders) + WAITING + len(DECIDED))

        def tick() -> None:
            progress("insurance", 1)

        policies = sell_policies(orders, covered, demo_customer_id, rng, tick)
        connected = {skus[code]["id"] for code in connected_skus() if code in skus}
        claims = file_claims(policies, demo_customer_id, connected, rng, tick)
        progress("insurance", WAITING + len(DECIDED) - len(claims))  # too few old policies in a small demo
    return policies, claims
