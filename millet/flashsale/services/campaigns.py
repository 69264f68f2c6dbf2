"""Campaigns: one SKU at one price from one location's set-aside units, and loading the gate."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from millet.accounts.actor import Actor
from millet.catalog.services import check_price, sku_offers
from millet.core.errors import Conflict, NotFound, Unprocessable
from millet.core.integrity import taken_or_raise
from millet.flashsale.models import Campaign, Claim, GateCounter
from millet.flashsale.services import gate
from millet.inventory.services import MAX_HOLD, get_location
from millet.regions.services import get_market
from millet.sales import services as sales

MAX_UNITS = MAX_HOLD  # a campaign's units are one inventory hold
# The other bounds of a campaign, checked here for every caller (the API's schema, the back office's
# form, the singles_day command) so that none accepts a campaign a claim then fails on.
MAX_PER_CUSTOMER = 100
MAX_PAYMENT_WINDOW = 86_400  # seconds: a day
MAX_CUSTOMER_RATE = 1_000  # gate requests per customer per second
MAX_IP_RATE = 100_000  # gate requests per address per second; 0 turns the limit off
LIVE = (Claim.Status.QUEUED, Claim.Status.ORDERED, Claim.Status.PAID)  # claims that hold a unit


def offer_of(campaign: Campaign) -> sales.FlashOffer:
    return sales.FlashOffer(
        market=campaign.market_id,
        sku_code=campaign.sku_code,
        unit_price=campaign.price,
        location_id=campaign.location_id,
        hold_reference=campaign.hold_reference,
    )


def get_campaign(code: str) -> Campaign:
    campaign = Campaign.objects.filter(code=code).first()
    if campaign is None:
        raise NotFound(f"no campaign {code}", code="unknown_campaign")
    return campaign


def list_campaigns(*, open_only: bool = False) -> list[Campaign]:
    qs = Campaign.objects.order_by("-starts_at", "pk")
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
    """Set the units aside in inventory (they leave the shelf now) and open the gate for them.

    Merchandisers and staff only (``Forbidden``)."""
    actor.require_merchandiser()
    if not 0 < units <= MAX_UNITS:
        raise Unprocessable(
            f"units must be from 1 to {MAX_UNITS}", code="invalid_units", facts={"most": MAX_UNITS}
        )
    if ends_at <= starts_at:
        raise Unprocessable("the sale must end after it starts", code="invalid_window")
    if not 0 < per_customer_limit <= MAX_PER_CUSTOMER:
        raise Unprocessable(
            f"units per customer must be from 1 to {MAX_PER_CUSTOMER}", code="invalid_campaign"
        )
    if not 0 < payment_window_seconds <= MAX_PAYMENT_WINDOW:
        raise Unprocessable(
            f"the payment window must be from 1 to {MAX_PAYMENT_WINDOW} seconds", code="invalid_campaign"
        )
    if not 0 <= customer_rate_per_second <= MAX_CUSTOMER_RATE or not 0 <= ip_rate_per_second <= MAX_IP_RATE:
        raise Unprocessable(
            f"rate limits must be from 0 to {MAX_CUSTOMER_RATE} per customer and {MAX_IP_RATE} per address",
            code="invalid_campaign",
        )
    get_market(market)
    # A price as every other price is: the currency's places, below regions' MAX_AMOUNT (422
    # malformed_money), never rounded silently into another price than the one asked for.
    price = check_price(market, price)
    offers = sku_offers([sku_code], market)  # 404 unknown SKU, 409 not sold in the market
    location = get_location(location_code)
    if location.market_id != market:
        raise Unprocessable("the location is in another market", code="location_wrong_market")
    taken = Campaign.objects.filter(code=code)
    exists = Conflict(f"campaign {code} exists", code="campaign_exists")
    with transaction.atomic():
        with taken_or_raise(taken, exists):  # a twin sent at once passed the check too: the code is unique
            campaign = Campaign.objects.create(
                code=code,
                name=name,
                sku_id=offers[sku_code][0].id,
                sku_code=sku_code,
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
        sales.set_aside_units(actor, offer_of(campaign), units)
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
